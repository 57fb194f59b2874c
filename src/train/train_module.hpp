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
};

}  // namespace ladder::train
