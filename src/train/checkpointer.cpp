#include "train/checkpointer.hpp"

#include <spdlog/spdlog.h>

#include "io/checkpoint_dir.hpp"
#include "util/format.hpp"

namespace ladder::train {

Checkpointer::Checkpointer(const config::CheckpointerConfig& settings,
                           std::set<int64_t> fixed_steps, std::string save_folder,
                           std::string config_json, TrainModule& module,
                           const data::DataLoader& loader, int64_t world_size, bool main_rank)
    : policy_(settings, std::move(fixed_steps)),
      save_folder_(std::move(save_folder)),
      config_json_(std::move(config_json)),
      module_(module),
      loader_(loader),
      world_size_(world_size),
      main_rank_(main_rank),
      writer_(save_folder_, policy_.save_async()) {}

void Checkpointer::pre_train(const TrainProgress& p) {
    if (p.resumed) {
        policy_.loaded(p.step);
        last_saved_step_ = p.step;
        complete_step_ = p.step;
    }
    std::vector<CheckpointOnDisk> found;
    for (const int64_t step : io::find_checkpoints(save_folder_))
        found.push_back(
            {step, io::is_ephemeral_checkpoint(io::checkpoint_dir(save_folder_, step))});
    policy_.adopt_existing(found, p.step);
    if (policy_.save_before_training(p.step, p.resumed))
        save(p, SaveKind::permanent);  // step 0: "initialization"
}

// A step's metrics reach the host (and the logs) before its checkpoint, so a step whose
// loss is not finite stops the run before it is saved.
bool Checkpointer::wants_metrics(const TrainProgress& p) const {
    return policy_.at_step(p.step) != SaveKind::none;
}

void Checkpointer::post_step(const TrainProgress& p) {
    if (const SaveKind kind = policy_.at_step(p.step); kind != SaveKind::none)
        save(p, kind);
    remove_old_checkpoints(/*wait_for_writes=*/false);
}

// The final state, unless it was just saved; after a stop signal an ephemeral one, for
// the next run to resume from. Writes still running finish, and the checkpoints they
// replace go, before the run ends.
void Checkpointer::post_train(const TrainProgress& p) {
    const bool stopped = !p.stop_reason.empty();
    if (policy_.enabled() && last_saved_step_ < p.step)
        save(p, stopped ? SaveKind::ephemeral : SaveKind::permanent);
    remove_old_checkpoints(/*wait_for_writes=*/true);
    writer_.wait();
    // The other ranks leave only once rank 0's last checkpoint is complete: a launcher
    // (torchrun, srun --kill-on-bad-exit) that sees one rank exit ends the others, and
    // must not end rank 0 in the middle of the write a stop signal asked for.
    module_.wait_for_ranks();
    if (stopped && policy_.enabled() && main_rank_)
        spdlog::info("the next run resumes from step {}", with_commas(p.step));
}

void Checkpointer::save(const TrainProgress& p, SaveKind kind) {
    TrainerState state;
    state.step = p.step;
    state.tokens_seen = p.tokens_seen;
    state.loader = loader_.state();
    state.world_size = world_size_;
    // Every rank takes part: sharded runs write each rank's shards here.
    std::shared_ptr<CheckpointContents> contents =
        module_.checkpoint(state, config_json_, kind == SaveKind::ephemeral, writer_.async());
    if (main_rank_) {
        // Waits for the previous write, which is then complete.
        writer_.save(std::move(contents));
        complete_step_ = writer_.async() ? last_saved_step_ : p.step;
    }
    last_saved_step_ = p.step;
    for (const int64_t step : policy_.saved(p.step, kind)) {
        if (main_rank_)
            to_remove_.push_back({p.step, step});
    }
}

// Deletes the checkpoints the policy gave up once the checkpoint that supersedes them is
// complete: until then it is not yet a checkpoint and the old ones are still needed. With a
// save every step the writer is never idle, so this cannot wait for an idle writer.
void Checkpointer::remove_old_checkpoints(bool wait_for_writes) {
    if (to_remove_.empty() || !main_rank_)
        return;
    if (wait_for_writes)
        writer_.wait();
    if (wait_for_writes || !writer_.busy())
        complete_step_ = last_saved_step_;
    std::vector<Removal> waiting;
    for (const Removal& removal : to_remove_) {
        if (removal.once_complete > complete_step_) {
            waiting.push_back(removal);
            continue;
        }
        const std::string dir = io::checkpoint_dir(save_folder_, removal.step);
        io::remove_checkpoint(dir);
        spdlog::info("removed old checkpoint {}", dir);
    }
    to_remove_ = std::move(waiting);
}

}  // namespace ladder::train
