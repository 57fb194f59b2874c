// A model's weights as a Hugging Face folder holds them: safetensors under HF's names
// (hf/olmo_format.hpp), one file or shards with model.safetensors.index.json, as
// transformers' save_pretrained writes them (modeling_utils.py, shard_checkpoint).
#pragma once

#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>

#include "hf/hf_request.hpp"
#include "ladder/run_plan.hpp"
#include "model/transformer.hpp"

namespace ladder::train {

// Writes `model`'s weights into `folder` in `dtype` (kBFloat16 or kFloat), one tensor at a
// time, in shards of at most `max_shard_bytes` (a larger tensor gets a shard of its own).
// The embedding and output rows are cut to the tokenizer's `vocab_rows`, the padding rows
// dropped, as OLMo-core's save_hf_model resizes them (olmo_core/nn/hf/checkpoint.py).
// Returns the bytes of tensor data written.
uint64_t write_hf_weights(model::Transformer& model, const std::string& folder,
                          at::ScalarType dtype, uint64_t max_shard_bytes, int64_t vocab_rows);

// `ladder export`'s tensors: the checkpoint's weights (sharded ones gathered) loaded into one
// model on the CPU, without the optimizer's moments, written as request.folder's safetensors.
void export_checkpoint_weights(const RunPlan& plan, const hf::ExportRequest& request);

// Reads the weights of the HF folder into `model`: every parameter must be there with its
// shape (F32, BF16 or F16), and nothing else; the embedding and output may have fewer rows
// (no vocabulary padding), the rest left zero. Throws UsageError naming the file and tensor.
void read_hf_weights(const std::string& folder, model::Transformer& model);

}  // namespace ladder::train
