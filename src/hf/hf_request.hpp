// What `ladder export` and `ladder import` ask of the LibTorch module.
#pragma once

#include <cstdint>
#include <string>

namespace ladder::hf {

struct ExportRequest {
    std::string checkpoint;  // a complete ladder checkpoint folder (sharded or not)
    std::string folder;      // where the safetensors go (a temporary folder, renamed later)
    std::string dtype;       // "bf16" or "fp32"
    uint64_t max_shard_bytes = 0;
    int64_t vocab_rows = 0;  // the tokenizer's vocabulary, without padding
};

struct ImportRequest {
    std::string hf_folder;    // config.json checked already; its safetensors are read here
    std::string save_folder;  // the checkpoint goes into <save_folder>/step0
    std::string config_json;  // the ladder config the checkpoint records
};

}  // namespace ladder::hf
