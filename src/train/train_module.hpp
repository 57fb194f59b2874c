// What the Trainer asks of the part that owns the tensors, as OLMo-core's TrainModule
// (olmo_core/train/train_module/train_module.py): the model, optimizer, parallelism, loss
// and clipping live behind this interface, so the loop itself never touches a tensor and
// builds without LibTorch. The transformer's implementation is TransformerTrainModule.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/data_loader.hpp"
#include "train/callback.hpp"

namespace ladder::train {

// Where a run stands, saved beside the tensors of every checkpoint (train/rank0.json).
struct TrainerState {
    int64_t step = 0;
    int64_t tokens_seen = 0;
    data::LoaderState loader;
    int64_t world_size = 1;  // data-parallel ranks that trained it
};

// Everything one checkpoint holds, serialized when it is taken (train/checkpoint.hpp).
struct CheckpointContents;

// Summed loss of an evaluation over every rank's batches.
struct EvalTotals {
    double ce_sum = 0;  // sum of -log p(label) over the labelled positions
    double labels = 0;  // labelled positions
    // Positions under the instances' label masks: one more per instance than it has labels
    // (its last own token predicts nothing). OLMo-core's LM evaluator divides by this
    // (olmo_core/eval/lm_evaluator.py, LMEvaluator.update_metrics).
    double tokens = 0;
};

// One step's metrics, left where the step computed them (on the GPU) until read: reading
// waits for the device, so the Trainer reads only at the metrics collect interval.
class StepMetrics {
  public:
    virtual ~StepMetrics() = default;
    // The step's metrics on the host. Throws std::runtime_error when the loss is not finite.
    virtual Metrics read() const = 0;
};

class TrainModule {
  public:
    virtual ~TrainModule() = default;

    // One optimizer step (1-based `step`, which sets the LR) on this rank's share of a
    // global batch: whole instances of token ids, row-major.
    virtual std::unique_ptr<StepMetrics> train_batch(const std::vector<int32_t>& tokens,
                                                     int64_t step) = 0;

    // Loads the model and optimizer state of the checkpoint in `dir` and returns the trainer
    // state saved with it. Throws UsageError naming the file when it does not fit the run.
    virtual TrainerState load_checkpoint(const std::string& dir) = 0;

    // Before the first step: every rank takes rank 0's model and optimizer state.
    virtual void sync_ranks() = 0;

    // Returns once every rank has called it (a barrier).
    virtual void wait_for_ranks() = 0;

    // The model and optimizer state with `state` and the run's resolved config, taken now
    // so that training may go on while it is written. `copy`: clone what lives on the host
    // (needed when the files are written in the background). Every rank calls it; what rank
    // 0 gets back is written, the other ranks get null (a sharded module has written their
    // shards by then).
    virtual std::shared_ptr<CheckpointContents> checkpoint(const TrainerState& state,
                                                           const std::string& config_json,
                                                           bool ephemeral, bool copy) = 0;

    // Evaluation, a forward pass in eval mode: eval_batch adds one batch's loss to sums kept
    // where they were computed (every rank calls it equally often: with no instances when
    // it has no batch in a round); eval_totals (which every rank calls) sums them over the
    // ranks, reads them, starts new sums and goes back to training mode. Instance i of
    // `tokens` owns its first lengths[i] tokens (its label mask); the rest is padding.
    virtual void eval_batch(const std::vector<int32_t>& tokens,
                            const std::vector<int64_t>& lengths) = 0;
    virtual EvalTotals eval_totals() = 0;

    // Downstream scoring, a forward pass in eval mode over `instances` rows of `inputs`
    // (row-major, equal lengths) with `targets` beside them (the id each position must
    // predict, -1 where none): returns per row the sum of ln p(target) over its targeted
    // positions, fp32 as the model computes it. Every rank calls it equally often (with no
    // rows when it has none in a round).
    virtual std::vector<float> score_batch(const std::vector<int32_t>& inputs,
                                           const std::vector<int32_t>& targets,
                                           int64_t instances) = 0;
    // Sums `values` element by element over the ranks, in place (every rank calls it).
    virtual void sum_over_ranks(std::vector<double>& values) = 0;

    // Training FLOPs per token (for MFU).
    virtual int64_t flops_per_token() const = 0;
};

}  // namespace ladder::train
