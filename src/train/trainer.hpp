// The training loop of one rung, as OLMo-core's Trainer (olmo_core/train/trainer.py):
// batch -> train_module.train_batch -> callbacks -> metrics, until the plan's stop. What a
// step computes is the TrainModule's business; what happens around it (checkpoints,
// evaluation, logs, speed, stop signals) is the callbacks'. No tensors here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "data/data_loader.hpp"
#include "ladder/run_plan.hpp"
#include "train/callback.hpp"
#include "train/train_module.hpp"

namespace ladder::train {

struct TrainerSettings {
    int64_t max_steps = 0;              // the plan's stop step, or its duration
    std::optional<int64_t> stop_epoch;  // stop once this many epochs are complete
    int64_t global_batch_tokens = 0;
    int64_t metrics_collect_interval = 1;
    // Resuming: from the run's own newest complete checkpoint, else `load_path` (one
    // checkpoint, or the newest in a folder); off without checkpoints.
    bool resume = false;
    std::string save_folder;
    std::optional<std::string> load_path;
    bool fallback_to_previous = true;  // an unloadable checkpoint falls back to the one before
    bool main_rank = true;             // rank 0 tidies the save folder
};

// From the plan (where to stop, the batch) and the trainer's config block.
TrainerSettings trainer_settings(const RunPlan& plan, const config::TrainerConfig& trainer,
                                 bool main_rank);

class Trainer {
  public:
    // Keeps references to `loader` and `module`, which must outlive the Trainer.
    Trainer(TrainerSettings settings, data::DataLoader& loader, TrainModule& module,
            CallbackList callbacks);

    // Continues from the newest loadable checkpoint, if any (as OLMo-core's
    // Trainer.maybe_load_checkpoint), then trains to the plan's stop. Returns false when a
    // callback stopped the run early (a stop signal).
    bool fit();

  private:
    struct PendingStep {
        TrainProgress progress;
        std::unique_ptr<StepMetrics> device;
        Metrics host;
    };

    void resume();
    void advance();
    bool finished() const;
    void collect_metrics();

    TrainerSettings settings_;
    data::DataLoader& loader_;
    TrainModule& module_;
    CallbackList callbacks_;
    TrainProgress progress_;
    std::vector<int32_t> batch_;
    std::vector<PendingStep> pending_;
};

}  // namespace ladder::train
