// What a run has left on disk (olmo_core/model_ladder/base.py, ModelLadder.get_checkpoints): its
// checkpoints and per-checkpoint metrics files, looked up in the run's save folder and
// then in alternative roots (`<root>/<size>`), the first folder holding one winning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ladder/run_plan.hpp"

namespace ladder::io {

struct RunCheckpointInfo {
    std::string name;  // "initialization", "period 1, 0.5xC pre-decay", or "step-N" when discovered
    int64_t step = 0;
    int64_t tokens = 0;  // step * global batch
    std::string path;    // where the complete checkpoint is; the primary path when it is missing
    std::optional<std::string> metrics_path;  // metrics_step<N>.json; never for step 0
    bool exists = false;
    std::optional<std::string> damage;  // with `checkpoints --verify`: what failed the check
};

// "metrics_step<N>.json"
std::string metrics_file_name(int64_t step);

// The folders searched, in order: the save folder, then `<alt>/<size>` for each root.
std::vector<std::string> run_folders(const RunPlan& plan,
                                     const std::vector<std::string>& alternative_dirs);

// Step 0 ("initialization") and every planned checkpoint, ✔ or ✘, sorted by step.
std::vector<RunCheckpointInfo> expected_checkpoints(
    const RunPlan& plan, const std::vector<std::string>& alternative_dirs);

// Every complete `step<N>` checkpoint in any of the folders, named "step-N", sorted by step.
std::vector<RunCheckpointInfo> discover_checkpoints(
    const RunPlan& plan, const std::vector<std::string>& alternative_dirs);

}  // namespace ladder::io
