// The TrainModule of the OLMo transformer (OLMo-core's TransformerTrainModule,
// olmo_core/train/train_module/transformer/train_module.py): the model, SkipStepAdamW with
// no weight decay on the embeddings, the plan's LR, bf16 autocast on GPUs, micro-batches
// with gradient accumulation, cross-entropy plus z-loss, global grad-norm clipping, and
// data parallelism over a RankGroup with gradients reduced during the last backward pass.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <future>
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
class FullySharded;
}  // namespace ladder::dist

namespace ladder::train {

// What the module needs beyond the plan: the trainer's loss and clipping settings.
struct TransformerTrainModuleSettings {
    uint64_t seed = 0;  // of the initialization
    double z_loss_multiplier = 0;
    double max_grad_norm = 1.0;
    // Blocks recomputed in backward (activation checkpointing), one flag each; empty: none.
    std::vector<bool> recomputed_blocks;
    // With more than one rank: ddp, fsdp (sharded over all ranks) or hsdp (sharded within
    // groups of shard_degree consecutive ranks).
    std::string data_parallel = "ddp";
    int64_t shard_degree = 0;
    at::ScalarType param_dtype = at::kFloat;   // fsdp/hsdp: gathered weights
    at::ScalarType reduce_dtype = at::kFloat;  // fsdp/hsdp: gradient reduce-scatter
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
    void wait_for_ranks() override;
    std::shared_ptr<CheckpointContents> checkpoint(const TrainerState& state,
                                                   const std::string& config_json, bool ephemeral,
                                                   bool copy) override;
    void eval_batch(const std::vector<int32_t>& tokens,
                    const std::vector<int64_t>& lengths) override;
    EvalTotals eval_totals() override;
    std::vector<float> score_batch(const std::vector<int32_t>& inputs,
                                   const std::vector<int32_t>& targets, int64_t instances) override;
    void sum_over_ranks(std::vector<double>& values) override;
    int64_t flops_per_token() const override;

    const c10::Device& device() const { return device_; }
    // The whole model of an unsharded module (`ladder export` and `import` read and fill it).
    model::Transformer& model() { return model_; }
    // Elements of weights this rank holds (its shards when sharded): for tests of sharding.
    int64_t held_parameter_elements() const;
    dist::RankGroup* group() const { return group_; }

  private:
    at::Tensor tokens_on_device(const std::vector<int32_t>& tokens, int64_t instances) const;
    void start_eval_sums();
    std::shared_ptr<CheckpointContents> sharded_checkpoint(const TrainerState& state,
                                                           const std::string& config_json,
                                                           bool ephemeral, bool copy);
    void verify_checkpoint(const std::string& dir);
    // Waits for this rank's shard file being written in the background.
    void finish_shard_write();

    RunPlan plan_;
    TransformerTrainModuleSettings settings_;
    c10::Device device_;
    dist::RankGroup* group_;
    model::Transformer model_{nullptr};
    std::vector<at::Tensor> parameters_;
    std::unique_ptr<optim::SkipStepAdamW> optimizer_;
    std::unique_ptr<dist::GradientReducer> reducer_;                // ddp
    std::unique_ptr<dist::RankGroup> shard_group_, replica_group_;  // hsdp
    std::unique_ptr<dist::FullySharded> sharded_;                   // fsdp, hsdp
    std::future<void> shard_write_;
    at::Tensor eval_ce_sum_, eval_labels_;  // 0-dim, on the device; undefined between evals
    double eval_tokens_ = 0;                // label-mask positions of this rank's eval batches
};

}  // namespace ladder::train
