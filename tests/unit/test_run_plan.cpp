// What the plan decides beyond batch and schedule: where a run stops, its 1xC, benchmark
// mode, and which sizes can be planned.
#include <catch2/catch.hpp>
#include <string>

#include "config/benchmark_mode.hpp"
#include "config/load.hpp"
#include "ladder/run_plan.hpp"
#include "unit/config_with.hpp"

using ladder::plan_run;
using ladder::RunPlan;
using ladder::config::LadderConfig;
using ladder::test::config_with;

namespace {

// A levanter run of 1,000 steps of 4 instances of 8,192 tokens.
const ladder::test::Settings kLevanter = {
    {"run", "{type: levanter, global_batch_size: 32768, num_train_steps: 1000}"}};

}  // namespace

TEST_CASE("the plan stops at the earlier of hard_stop and max_duration", "[plan][stop]") {
    const RunPlan full = plan_run(config_with({}), "190M");
    CHECK_FALSE(full.stop_step);
    CHECK_FALSE(full.stop_epoch);

    // 190M steps are 524,288 tokens: 1,000,000 tokens end inside step 2.
    const RunPlan tokens =
        plan_run(config_with({{"trainer.max_duration", "{value: 1000000, unit: tokens}"}}), "190M");
    CHECK(tokens.stop_step == 2);

    const RunPlan both = plan_run(config_with({{"trainer.max_duration", "{value: 50}"},
                                               {"trainer.hard_stop", "{value: 70}"}}),
                                  "190M");
    CHECK(both.stop_step == 50);

    const RunPlan epochs =
        plan_run(config_with({{"trainer.max_duration", "{value: 3, unit: epochs}"},
                              {"trainer.hard_stop", "{value: 2, unit: epochs}"}}),
                 "190M");
    CHECK(epochs.stop_epoch == 2);
    CHECK_FALSE(epochs.stop_step);

    const RunPlan mixed =
        plan_run(config_with({{"trainer.max_duration", "{value: 1, unit: epochs}"},
                              {"trainer.hard_stop", "{value: 10, unit: steps}"}}),
                 "190M");
    CHECK(mixed.stop_epoch == 1);
    CHECK(mixed.stop_step == 10);
}

TEST_CASE("benchmark mode: a hard stop, speed monitor on, no checkpoints or evals",
          "[plan][benchmark]") {
    LadderConfig config = config_with({{"trainer.callbacks.speed_monitor.enabled", "false"}});
    ladder::config::apply_benchmark_mode(config);
    REQUIRE(config.trainer.hard_stop);
    CHECK(config.trainer.hard_stop->value == ladder::config::kBenchmarkHardStopSteps);
    CHECK(config.trainer.hard_stop->unit == "steps");
    CHECK(config.trainer.callbacks.speed_monitor.enabled);
    CHECK(config.trainer.no_checkpoints);
    CHECK(config.trainer.no_evals);

    const RunPlan plan = plan_run(config, "190M");
    CHECK(plan.stop_step == 100);
    CHECK(plan.checkpoints.empty());

    LadderConfig own_stop = config_with({{"trainer.hard_stop", "{value: 7, unit: steps}"}});
    ladder::config::apply_benchmark_mode(own_stop);
    CHECK(own_stop.trainer.hard_stop->value == 7);
}

TEST_CASE("each run configurator names the run's 1xC", "[plan][registry]") {
    // WSD-S: tokens_per_param x N.
    const RunPlan wsds = plan_run(config_with({{"run.tokens_per_param", "10"}}), "190M");
    CHECK(wsds.chinchilla_tokens == 10 * wsds.num_non_embedding_params);
    // Levanter: Chinchilla's 20 x N.
    const RunPlan levanter = plan_run(config_with(kLevanter), "190M");
    CHECK(levanter.chinchilla_tokens == 20 * levanter.num_non_embedding_params);
}

TEST_CASE("a size the devices cannot hold fails only its own plan", "[plan]") {
    const LadderConfig config = config_with({{"max_devices", "16"}});
    CHECK(plan_run(config, "190M").batch.num_devices == 8);
    CHECK_THROWS_WITH(plan_run(config, "13B"),
                      "max_devices: size 13B needs at least 32 devices, got 16");
}
