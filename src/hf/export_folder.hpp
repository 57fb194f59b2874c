// The Hugging Face folder of one checkpoint, as `ladder export` and the hf_exporter callback
// write it: the safetensors (written by the caller, through LibTorch), config.json,
// generation_config.json, the tokenizer's files and ladder_export.json, in `<folder>.partial`
// renamed to `folder` when whole.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "config/ladder_config.hpp"
#include "hf/hf_request.hpp"
#include "ladder/run_plan.hpp"

namespace ladder::hf {

// "5GB" as huggingface_hub reads max_shard_size (serialization/_base.py, parse_size_to_int):
// KB, MB, GB, TB powers of 1000; also KiB, MiB, GiB, TiB; a bare number is bytes. Throws
// UsageError naming `what`.
uint64_t parse_shard_size(const std::string& text, const std::string& what);

// <run folder>/hf/step<N>.
std::string default_export_folder(const RunPlan& plan, int64_t step);

// Writes the folder (`folder`, default <run folder>/hf/step<N>); `write_weights` fills
// request.folder with the safetensors. Returns the line that says what was written. Throws
// UsageError when the folder exists.
std::string write_export_folder(const config::LadderConfig& config, const RunPlan& plan,
                                const std::string& checkpoint,
                                const std::optional<std::string>& folder, const std::string& dtype,
                                uint64_t max_shard_bytes,
                                const std::function<void(const ExportRequest&)>& write_weights);

}  // namespace ladder::hf
