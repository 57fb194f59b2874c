// When the checkpointer saves and which checkpoints it removes: OLMo-core's
// CheckpointerCallback rules (olmo_core/train/callbacks/checkpointer.py) as a pure bookkeeping
// object, so the trainer only asks it and every rule is tested without tensors.
//
//   - step 0 is saved before training when pre_train_checkpoint says so (default: unless
//     the run resumed from a checkpoint);
//   - at a fixed step (the plan's checkpoints) or a multiple of save_interval: permanent;
//   - at a multiple of ephemeral_save_interval: ephemeral, unless the last checkpoint is
//     fewer than ephemeral_cooldown steps back;
//   - an ephemeral checkpoint is removed once a newer checkpoint is complete, and so are
//     the earlier runs' checkpoints that `remove` selects; with max_checkpoints, the oldest
//     permanent checkpoints of this run beyond that many are removed.
// Removal never touches the newest complete checkpoint, so a crash always leaves one.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <vector>

#include "config/ladder_config.hpp"

namespace ladder::train {

enum class SaveKind { none, permanent, ephemeral };

struct CheckpointOnDisk {
    int64_t step = 0;
    bool ephemeral = false;  // its marker says so (an interval or stop-signal checkpoint)
};

class CheckpointPolicy {
  public:
    // The settings are validated with the config (an ephemeral interval below save_interval).
    CheckpointPolicy(const config::CheckpointerConfig& settings, std::set<int64_t> fixed_steps);

    bool enabled() const { return settings_.enabled; }
    bool save_async() const { return settings_.save_async; }

    // Before the first step at `step`; `resumed` when a checkpoint was loaded.
    bool save_before_training(int64_t step, bool resumed) const;

    // The checkpoints earlier runs left in the save folder: those `remove` selects (never
    // step 0, fixed steps, save_interval multiples or steps after `current_step`) are
    // removed once this run has saved a newer checkpoint.
    void adopt_existing(const std::vector<CheckpointOnDisk>& found, int64_t current_step);

    // What to save after optimizer step `step` (none, permanent or ephemeral).
    SaveKind at_step(int64_t step) const;

    // Records a complete checkpoint of `step` (the loaded one counts for the cooldown) and
    // returns the steps whose checkpoints are to be removed now, oldest first.
    std::vector<int64_t> saved(int64_t step, SaveKind kind);
    void loaded(int64_t step) { last_step_ = step; }

  private:
    config::CheckpointerConfig settings_;
    std::set<int64_t> fixed_steps_;
    int64_t last_step_ = -1;
    std::deque<int64_t> permanent_;   // this run's, in save order (for max_checkpoints)
    std::vector<int64_t> removable_;  // ephemeral or adopted: go once a newer one exists
};

}  // namespace ladder::train
