// The ladder config the training tests share.
#pragma once

#include <cstdint>
#include <string>

#include "e2e/run_ladder.hpp"

namespace ladder::test {

// A ~1M-parameter model ("tiny": the 14M dimensions with a 512-token vocabulary) on
// 128-token instances, 8 per step, constant LR after a short warmup; its one planned
// checkpoint before the end is the pre-decay one at step 10.
inline std::string tiny_ladder(const std::string& data) {
    return "name: tiny\n"
           "dir: runs\n"
           "sizes: [tiny]\n"
           "max_devices: 1\n"
           "device_type: cpu\n"
           "sequence_length: 128\n"
           "tokenizer: {name: synthetic, vocab_size: 512, eos_token_id: 0, pad_token_id: 1}\n"
           "model: {family: olmo2, rank_microbatch_size: 512,\n"
           "        sizes: {tiny: {d_model: 128, n_layers: 4, n_heads: 8}}}\n"
           "run: {type: levanter, learning_rate: 3.0e-3, global_batch_size: 1024,\n"
           "      num_train_steps: 150, warmup: 10, lr_schedule: constant}\n"
           "data: {paths: [" +
           data + "]}\n";
}

// In `dir`: d.u16 with `tokens` token ids in [2, 512) and tiny.yaml training on it.
inline void write_tiny_run(const std::string& dir, int64_t tokens) {
    write_tokens(dir + "/d.u16", tokens, 2, 512);
    write_file(dir + "/tiny.yaml", tiny_ladder("d.u16"));
}

}  // namespace ladder::test
