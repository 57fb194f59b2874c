// Saving and loading a training checkpoint (layout in io/checkpoint_dir.hpp): model and
// optimizer tensors, and the trainer's position, so a resumed run continues exactly.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/checkpoint_dir.hpp"
#include "model/transformer.hpp"
#include "optim/skip_step_adamw.hpp"
#include "train/train_module.hpp"

namespace ladder::train {

// Everything one checkpoint holds, serialized into archives when it is taken, so training
// may change its tensors while the files are written.
struct CheckpointContents;

// Takes a checkpoint of `step`. `copy` clones tensors that live on the CPU (needed when the
// files are written while training goes on; tensors on a GPU are copied to the host anyway).
std::shared_ptr<CheckpointContents> take_checkpoint(model::Transformer& model,
                                                    const optim::SkipStepAdamW& optimizer,
                                                    const TrainerState& state,
                                                    const std::string& config_json, bool ephemeral,
                                                    bool copy);

// The checkpoint of a sharded run: its ranks write their shard files into the step's
// temporary folder; `written` waits for them and returns their checksums (throwing when one
// failed); then the writer adds model_and_optim/shards.json (`layout`), the trainer state
// and the config.
std::shared_ptr<CheckpointContents> sharded_checkpoint_contents(
    std::function<std::vector<io::FileChecksum>()> written, std::string layout,
    const TrainerState& state, const std::string& config_json, bool ephemeral);

// The tensors of an unsharded checkpoint (model.pt, optim.pt): weights in the order of
// `params` (name, shape; checked), optimizer moments by parameter index. Throws UsageError
// naming the file. The checkpoint's checksums must have been verified.
struct UnshardedCheckpoint {
    std::vector<at::Tensor> weights;
    optim::SkipStepAdamW::State optimizer;
};
UnshardedCheckpoint read_unsharded_checkpoint(
    const std::string& dir, const std::vector<std::pair<std::string, at::IntArrayRef>>& params);

// The weights alone of the checkpoint in `dir`, sharded or not, into `model` (whole, on the
// CPU): no optimizer moments are read. Verifies the checksums first; throws UsageError
// naming the file when the checkpoint is damaged or of another model.
void load_checkpoint_weights(const std::string& dir, model::Transformer& model);

// The trainer state of the checkpoint in `dir` (train/rank0.json); throws UsageError.
TrainerState read_trainer_state(const std::string& dir);

// Writes checkpoints into <save_folder>/step<N> (temporary + rename), one at a time: in
// the background when `async` (training continues meanwhile), else before save() returns.
class CheckpointWriter {
  public:
    CheckpointWriter(std::string save_folder, bool async)
        : save_folder_(std::move(save_folder)), async_(async) {}
    ~CheckpointWriter();

    bool async() const { return async_; }
    // Waits for the previous checkpoint, then writes this one.
    void save(std::shared_ptr<CheckpointContents> contents);
    // Whether a background write is still running; rethrows the error of one that failed.
    bool busy();
    // Waits for the background write; rethrows its error.
    void wait();

  private:
    std::string save_folder_;
    bool async_;
    std::future<void> pending_;
};

// Loads <dir> into the model and optimizer; throws UsageError naming the file when the
// checkpoint does not match the model or cannot be read. Its checksums must have been
// verified (io::verify_checkpoint).
TrainerState load_checkpoint(const std::string& dir, model::Transformer& model,
                             optim::SkipStepAdamW& optimizer);

}  // namespace ladder::train
