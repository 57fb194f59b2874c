#include "train/checkpoint_policy.hpp"

#include <algorithm>

namespace ladder::train {

CheckpointPolicy::CheckpointPolicy(const config::CheckpointerConfig& settings,
                                   std::set<int64_t> fixed_steps)
    : settings_(settings), fixed_steps_(std::move(fixed_steps)) {}

bool CheckpointPolicy::save_before_training(int64_t step, bool resumed) const {
    if (!settings_.enabled || step != 0)
        return false;
    return settings_.pre_train_checkpoint.value_or(!resumed);
}

void CheckpointPolicy::adopt_existing(const std::vector<CheckpointOnDisk>& found,
                                      int64_t current_step) {
    if (settings_.remove == "never")
        return;
    for (const CheckpointOnDisk& c : found) {
        if (c.step == 0 || c.step > current_step || fixed_steps_.count(c.step) ||
            (settings_.save_interval && c.step % *settings_.save_interval == 0)) {
            continue;
        }
        const bool at_ephemeral_interval =
            settings_.ephemeral_save_interval && c.step % *settings_.ephemeral_save_interval == 0;
        if (settings_.remove == "all_non_permanent" || at_ephemeral_interval || c.ephemeral)
            removable_.push_back(c.step);
    }
    std::sort(removable_.begin(), removable_.end());
}

SaveKind CheckpointPolicy::at_step(int64_t step) const {
    if (!settings_.enabled)
        return SaveKind::none;
    if (fixed_steps_.count(step) ||
        (settings_.save_interval && step % *settings_.save_interval == 0))
        return SaveKind::permanent;
    if (settings_.ephemeral_save_interval && step % *settings_.ephemeral_save_interval == 0) {
        if (settings_.ephemeral_cooldown && last_step_ >= 0 &&
            step - last_step_ < *settings_.ephemeral_cooldown) {
            return SaveKind::none;
        }
        return SaveKind::ephemeral;
    }
    return SaveKind::none;
}

std::vector<int64_t> CheckpointPolicy::saved(int64_t step, SaveKind kind) {
    last_step_ = step;
    std::vector<int64_t> remove;
    // Older removable checkpoints go; a resave of the same step replaced its directory.
    for (const int64_t old : removable_) {
        if (old < step)
            remove.push_back(old);
    }
    removable_.erase(std::remove_if(removable_.begin(), removable_.end(),
                                    [&](int64_t old) { return old <= step; }),
                     removable_.end());
    if (kind == SaveKind::ephemeral) {
        removable_.push_back(step);
    } else {
        permanent_.erase(std::remove(permanent_.begin(), permanent_.end(), step), permanent_.end());
        permanent_.push_back(step);
        while (settings_.max_checkpoints &&
               static_cast<int64_t>(permanent_.size()) > *settings_.max_checkpoints) {
            remove.push_back(permanent_.front());
            permanent_.pop_front();
        }
    }
    std::sort(remove.begin(), remove.end());
    remove.erase(std::unique(remove.begin(), remove.end()), remove.end());
    return remove;
}

}  // namespace ladder::train
