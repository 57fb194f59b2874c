// OLMo-core's CheckpointerCallback (olmo_core/train/callbacks/checkpointer.py): saves the
// run at step 0, at the plan's checkpoint steps and at the intervals of CheckpointPolicy,
// at the end (ephemeral after a stop signal, so the next run resumes from it), and removes
// the checkpoints the policy gives up once nothing still needs them.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"
#include "data/data_loader.hpp"
#include "train/callback.hpp"
#include "train/checkpoint.hpp"
#include "train/checkpoint_policy.hpp"
#include "train/train_module.hpp"

namespace ladder::train {

class Checkpointer : public Callback {
  public:
    // Every rank keeps the policy's books; only `main_rank` writes and removes. `module` and
    // `loader` must outlive the callback; `config_json` (the resolved config) goes into every
    // checkpoint.
    Checkpointer(const config::CheckpointerConfig& settings, std::set<int64_t> fixed_steps,
                 std::string save_folder, std::string config_json, TrainModule& module,
                 const data::DataLoader& loader, int64_t world_size, bool main_rank);

    void pre_train(const TrainProgress& p) override;
    bool wants_metrics(const TrainProgress& p) const override;
    void post_step(const TrainProgress& p) override;
    void post_train(const TrainProgress& p) override;

  private:
    void save(const TrainProgress& p, SaveKind kind);
    void remove_old_checkpoints(bool wait_for_writes);

    CheckpointPolicy policy_;
    std::string save_folder_;
    std::string config_json_;
    TrainModule& module_;
    const data::DataLoader& loader_;
    int64_t world_size_;
    bool main_rank_;
    CheckpointWriter writer_;
    // Checkpoints given up, each with the step whose checkpoint must be complete first.
    struct Removal {
        int64_t once_complete;
        int64_t step;
    };
    std::vector<Removal> to_remove_;
    int64_t last_saved_step_ = -1;
    int64_t complete_step_ = -1;  // the newest checkpoint known to be written
};

}  // namespace ladder::train
