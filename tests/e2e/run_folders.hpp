// Run folders built by hand, for the commands that read them (checkpoints, metrics,
// plot-metrics) without training.
#pragma once

#include <string>

#include "e2e/run_ladder.hpp"

namespace ladder::test {

// Two sizes on the CPU at sequence length 256, 1xC each:
// 1M: batch 4,096 tokens, 138,476 non-embedding params, checkpoints 304, 338, 642, 676.
// 14M: batch 24,576 tokens, 2,099,328 params, checkpoints 768, 854, 1622, 1708.
inline const char* const kTwoSizeLadder = R"(name: tiny
dir: runs
device_type: cpu
max_devices: 1
sequence_length: 256
sizes: [1M, 14M]
tokenizer: {name: t, vocab_size: 8192, eos_token_id: 2, pad_token_id: 3}
model: {rank_microbatch_size: 2048}
run: {chinchilla_multiple: 1}
)";

// A complete checkpoint: every marker file of io/checkpoint_dir.hpp.
inline void make_checkpoint(const std::string& dir) {
    for (const char* file : {".metadata.json", "train/rank0.json", "model_and_optim/model.pt",
                             "model_and_optim/optim.pt"}) {
        write_file(dir + "/" + file, "x");
    }
}

}  // namespace ladder::test
