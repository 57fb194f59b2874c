// The TrainModule of the OLMo transformer (OLMo-core's TransformerTrainModule,
// olmo_core/train/train_module/transformer/train_module.py): the model, SkipStepAdamW with
// no weight decay on the embeddings, the plan's LR, bf16 autocast on GPUs, micro-batches
// with gradient accumulation, cross-entropy plus z-loss, global grad-norm clipping, and
// data parallelism over a RankGroup with gradients reduced during the last backward pass.
#pragma once

#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

#include "ladder/run_plan.hpp"
#include "model/transformer.hpp"
#include "optim/skip_step_adamw.hpp"
#include "train/checkpoint.hpp"
#include "train/train_module.hpp"

namespace ladder::dist {
class RankGroup;
class GradientReducer;
}  // namespace ladder::dist

namespace ladder::train {

// What the module needs beyond the plan: the trainer's loss and clipping settings.
struct TransformerTrainModuleSettings {
    uint64_t seed = 0;  // of the initialization
    int64_t pad_token_id = 0;
    double z_loss_multiplier = 0;
    double max_grad_norm = 1.0;
};

// Summed cross-entropy and label count of one evaluation batch, left on the device.
struct EvalSums {
    at::Tensor ce_sum;  // 0-dim fp32
    at::Tensor labels;  // 0-dim
};

class TransformerTrainModule : public TrainModule {
  public:
    // Builds and initializes the planned model on `device`. `group` (null for one process)
    // must outlive the module.
    TransformerTrainModule(const RunPlan& plan, const TransformerTrainModuleSettings& settings,
                           c10::Device device, dist::RankGroup* group);
    ~TransformerTrainModule() override;

    std::unique_ptr<StepMetrics> train_batch(const std::vector<int32_t>& tokens,
                                             int64_t step) override;
    TrainerState load_checkpoint(const std::string& dir) override;
    void sync_ranks() override;

    // Forward pass only, in eval mode, on `instances` rows of token ids.
    EvalSums eval_batch(const std::vector<int32_t>& tokens, int64_t instances);
    // Back to training mode after a series of eval_batch calls.
    void end_eval();

    // The model and optimizer state with `state` and the run's config, for a checkpoint (see
    // take_checkpoint).
    std::shared_ptr<CheckpointContents> checkpoint(const TrainerState& state,
                                                   const std::string& config_json, bool ephemeral,
                                                   bool copy);

    const c10::Device& device() const { return device_; }
    dist::RankGroup* group() const { return group_; }
    // Training FLOPs per token of the model at the plan's sequence length.
    int64_t flops_per_token() const;

  private:
    at::Tensor tokens_on_device(const std::vector<int32_t>& tokens, int64_t instances) const;

    RunPlan plan_;
    TransformerTrainModuleSettings settings_;
    c10::Device device_;
    dist::RankGroup* group_;
    model::Transformer model_{nullptr};
    std::vector<at::Tensor> parameters_;
    std::unique_ptr<optim::SkipStepAdamW> optimizer_;
    std::unique_ptr<dist::GradientReducer> reducer_;
};

}  // namespace ladder::train
