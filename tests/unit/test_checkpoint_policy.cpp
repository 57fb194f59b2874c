// The checkpointer's rules (olmo_core/train/callbacks/checkpointer.py, CheckpointerCallback):
// when it saves and what it removes.
#include <catch2/catch.hpp>

#include "train/checkpoint_policy.hpp"
#include "util/error.hpp"

using ladder::config::CheckpointerConfig;
using ladder::train::CheckpointOnDisk;
using ladder::train::CheckpointPolicy;
using ladder::train::SaveKind;

namespace {

CheckpointerConfig no_intervals() {
    CheckpointerConfig c;
    c.ephemeral_save_interval.reset();
    c.ephemeral_cooldown.reset();
    return c;
}

// Runs steps 1..last through the policy, saving what it says; returns the saves made and
// the removals it asked for, as "p5" / "e6" / "-e6" tokens in order.
std::vector<std::string> simulate(CheckpointPolicy& policy, int64_t first, int64_t last) {
    std::vector<std::string> events;
    for (int64_t step = first; step <= last; ++step) {
        const SaveKind kind = policy.at_step(step);
        if (kind == SaveKind::none)
            continue;
        events.push_back((kind == SaveKind::permanent ? "p" : "e") + std::to_string(step));
        for (const int64_t removed : policy.saved(step, kind))
            events.push_back("-" + std::to_string(removed));
    }
    return events;
}

using Events = std::vector<std::string>;

}  // namespace

TEST_CASE("fixed steps and save_interval multiples are permanent", "[checkpoint-policy]") {
    CheckpointerConfig c = no_intervals();
    c.save_interval = 4;
    CheckpointPolicy policy(c, {3, 10});
    CHECK(simulate(policy, 1, 12) == Events{"p3", "p4", "p8", "p10", "p12"});
}

TEST_CASE("only the newest ephemeral checkpoint stays; the cooldown skips saves",
          "[checkpoint-policy]") {
    CheckpointerConfig c = no_intervals();
    c.ephemeral_save_interval = 2;
    CheckpointPolicy policy(c, {5});
    CHECK(simulate(policy, 1, 8) == Events{"e2", "e4", "-2", "p5", "-4", "e6", "e8", "-6"});

    c.ephemeral_cooldown = 3;
    CheckpointPolicy cooled(c, {5});
    // 2: nothing saved yet; 4: only 2 steps after 2; 6: 1 step after 5; 8: 3 after 5.
    CHECK(simulate(cooled, 1, 8) == Events{"e2", "p5", "-2", "e8"});
}

TEST_CASE("the cooldown counts from the checkpoint the run resumed from", "[checkpoint-policy]") {
    CheckpointerConfig c = no_intervals();
    c.ephemeral_save_interval = 2;
    c.ephemeral_cooldown = 3;
    CheckpointPolicy policy(c, {});
    policy.loaded(5);
    CHECK(policy.at_step(6) == SaveKind::none);
    CHECK(policy.at_step(8) == SaveKind::ephemeral);
}

TEST_CASE("pre-train checkpoint: by default unless resumed; forced either way",
          "[checkpoint-policy]") {
    CheckpointerConfig c = no_intervals();
    CHECK(CheckpointPolicy(c, {}).save_before_training(0, false));
    CHECK_FALSE(CheckpointPolicy(c, {}).save_before_training(0, true));
    CHECK_FALSE(CheckpointPolicy(c, {}).save_before_training(7, false));
    c.pre_train_checkpoint = true;
    CHECK(CheckpointPolicy(c, {}).save_before_training(0, true));
    c.pre_train_checkpoint = false;
    CHECK_FALSE(CheckpointPolicy(c, {}).save_before_training(0, false));
}

TEST_CASE("removal strategies pick among the checkpoints earlier runs left",
          "[checkpoint-policy]") {
    // On disk: 0 (init), 3 (planned), 4 (save_interval), 6 (ephemeral interval), 7 (an
    // ephemeral stop checkpoint), 9 (neither), 12 (after the step resumed from).
    const std::vector<CheckpointOnDisk> found = {{0, false}, {3, false}, {4, false}, {6, true},
                                                 {7, true},  {9, false}, {12, false}};
    CheckpointerConfig c = no_intervals();
    c.save_interval = 4;
    c.ephemeral_save_interval = 2;
    const auto removed_by_next_save = [&](const std::string& strategy) {
        c.remove = strategy;
        CheckpointPolicy policy(c, {3});
        policy.adopt_existing(found, 10);
        return policy.saved(10, SaveKind::ephemeral);
    };
    CHECK(removed_by_next_save("ephemeral_only") == std::vector<int64_t>{6, 7});
    CHECK(removed_by_next_save("all_non_permanent") == std::vector<int64_t>{6, 7, 9});
    CHECK(removed_by_next_save("never").empty());
}

TEST_CASE("an adopted checkpoint waits for a newer one before it is removed",
          "[checkpoint-policy]") {
    CheckpointerConfig c = no_intervals();
    c.ephemeral_save_interval = 5;
    CheckpointPolicy policy(c, {});
    policy.adopt_existing({{5, true}}, 5);
    policy.loaded(5);
    CHECK(policy.saved(5, SaveKind::ephemeral).empty());  // a resave replaces it in place
    CHECK(policy.saved(10, SaveKind::ephemeral) == std::vector<int64_t>{5});
}

TEST_CASE("max_checkpoints removes this run's oldest permanent checkpoints",
          "[checkpoint-policy]") {
    CheckpointerConfig c = no_intervals();
    c.save_interval = 2;
    c.max_checkpoints = 2;
    CheckpointPolicy policy(c, {});
    CHECK(policy.saved(0, SaveKind::permanent).empty());
    CHECK(simulate(policy, 1, 6) == Events{"p2", "p4", "-0", "p6", "-2"});
}

TEST_CASE("disabled saves nothing", "[checkpoint-policy]") {
    CheckpointerConfig c;
    c.enabled = false;
    CheckpointPolicy off(c, {1, 2});
    CHECK(off.at_step(1) == SaveKind::none);
    CHECK_FALSE(off.save_before_training(0, false));
}
