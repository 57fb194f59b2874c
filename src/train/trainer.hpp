// The training loop of one rung: data -> forward/backward over micro-batches -> clip ->
// SkipStepAdamW at the plan's LR -> metrics, until the plan's duration or a hard stop.
#pragma once

#include <memory>
#include <set>
#include <vector>

#include "config/ladder_config.hpp"
#include "data/data_loader.hpp"
#include "data/instance_source.hpp"
#include "dist/launch_env.hpp"
#include "ladder/run_plan.hpp"
#include "model/transformer.hpp"
#include "optim/skip_step_adamw.hpp"
#include "train/callback.hpp"
#include "train/checkpoint.hpp"
#include "train/checkpoint_policy.hpp"
#include "train/lm_evaluator.hpp"
#include "train/metric_saver.hpp"
#include "train/speed_monitor.hpp"

namespace ladder::dist {
class RankGroup;
class GradientReducer;
}  // namespace ladder::dist

namespace ladder::train {

class Trainer {
  public:
    // Builds the model, optimizer and data loader; data errors surface here, before the
    // first step. `benchmark` stops after 100 steps unless the config has a hard stop.
    // With several ranks in `launch`, joins their process group and trains data-parallel:
    // rank 0 alone writes logs, metrics and checkpoints.
    Trainer(const config::LadderConfig& config, const RunPlan& plan, bool benchmark,
            const dist::LaunchEnv& launch);
    ~Trainer();

    // Trains to the end of the plan or the stop; returns false when a stop signal ended it
    // early (after saving a checkpoint unless checkpoints are off).
    bool fit();

    // Seconds per step after the first, for the benchmark summary.
    std::vector<double> step_seconds() const {
        return speed_ ? speed_->step_seconds() : std::vector<double>();
    }
    // Per device (rank), as OLMo-core's throughput/device metrics count them.
    int64_t tokens_per_step() const { return plan_.batch.global_batch_size / launch_.world_size; }
    double flops_per_token() const;
    double peak_flops() const { return peak_flops_; }
    const c10::Device& device() const { return device_; }

  private:
    struct StepRecord;
    StepRecord train_step(int64_t step);
    void resume_if_possible();
    void save(SaveKind kind);
    void remove_old_checkpoints(bool wait_for_writes);
    void evaluate(bool save_metrics);
    void flush_metrics();
    bool finished() const;

    const config::LadderConfig& config_;
    std::string config_json_;  // written into every checkpoint
    RunPlan plan_;
    dist::LaunchEnv launch_;
    bool main_rank_ = true;                   // rank 0: writes logs, metrics, checkpoints
    std::unique_ptr<dist::RankGroup> group_;  // null for a single process
    std::unique_ptr<dist::GradientReducer> reducer_;
    int64_t max_steps_ = 0;
    std::optional<int64_t> stop_after_epoch_;
    c10::Device device_;
    double peak_flops_ = 0;
    model::Transformer model_{nullptr};
    std::unique_ptr<optim::SkipStepAdamW> optimizer_;
    std::vector<at::Tensor> parameters_;
    data::InstanceSource source_;
    std::unique_ptr<data::DataLoader> loader_;
    std::vector<int32_t> batch_;
    CallbackList callbacks_;
    SpeedMonitor* speed_ = nullptr;           // owned by callbacks_; null when disabled
    MetricSaver* metric_saver_ = nullptr;     // owned by callbacks_; null without checkpoints
    std::unique_ptr<LMEvaluator> evaluator_;  // null without validation sets or evals
    TrainProgress progress_;
    bool checkpoints_ = false;      // saved and resumed from (not trainer.no_checkpoints)
    std::set<int64_t> save_steps_;  // the plan's checkpoint steps
    std::unique_ptr<CheckpointPolicy> policy_;
    std::unique_ptr<CheckpointWriter> writer_;
    std::vector<int64_t> to_remove_;  // checkpoints to delete once no write is pending
    bool resumed_ = false;
    int64_t last_saved_step_ = -1;
    std::vector<StepRecord> pending_;
};

}  // namespace ladder::train
