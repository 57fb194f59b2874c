// Saving and loading a training checkpoint (layout in io/checkpoint_dir.hpp): model and
// optimizer tensors, and the trainer's position, so a resumed run continues exactly.
#pragma once

#include <string>

#include "data/data_loader.hpp"
#include "model/transformer.hpp"
#include "optim/skip_step_adamw.hpp"

namespace ladder::train {

struct TrainerState {
    int64_t step = 0;
    int64_t tokens_seen = 0;
    data::LoaderState loader;
};

// Writes a complete checkpoint of `step` into <save_folder>/step<N> (temporary + rename).
void save_checkpoint(const std::string& save_folder, model::Transformer& model,
                     const optim::SkipStepAdamW& optimizer, const TrainerState& state,
                     const std::string& config_json, bool ephemeral);

// Loads <dir> into the model and optimizer; throws UsageError naming the file when the
// checkpoint does not match the model or cannot be read.
TrainerState load_checkpoint(const std::string& dir, model::Transformer& model,
                             optim::SkipStepAdamW& optimizer);

}  // namespace ladder::train
