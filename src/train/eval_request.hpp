// What `ladder eval` asks of the LibTorch module: which checkpoints of a run to evaluate on
// what, the results merged into their metrics files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ladder::train {

struct EvalRequest {
    std::vector<int64_t> steps;      // checkpoints of the run, each complete
    std::vector<std::string> tasks;  // of data.downstream; empty: none
    bool lm = false;                 // also the validation sets of data.validation
};

}  // namespace ladder::train
