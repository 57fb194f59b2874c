// ladder's OLMo-2/OLMo-3 models in Hugging Face's terms: parameter names, config.json and
// generation_config.json as transformers' Olmo2ForCausalLM and Olmo3ForCausalLM read them
// (transformers, models/olmo2 and models/olmo3, configuration_*.py and modeling_*.py;
// OLMo-core, src/olmo_core/nn/hf/convert.py), and back.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ladder/model_spec.hpp"

namespace ladder::hf {

// The Hugging Face name of a ladder (OLMo-core) parameter:
// embeddings.weight -> model.embed_tokens.weight, blocks.3.attention.w_q.weight ->
// model.layers.3.self_attn.q_proj.weight, …, lm_head.w_out.weight -> lm_head.weight.
// Throws std::invalid_argument for a name it does not know.
std::string hf_parameter_name(const std::string& name);

struct SpecialTokens {
    std::optional<int64_t> pad, bos, eos;
};

// config.json for `spec` (family olmo2 or olmo3). `max_positions`: the ladder's sequence
// length; `vocab_size`: the tokenizer's, without padding (OLMo-core's convert_checkpoint_to_hf
// writes it so); `torch_dtype`: "bfloat16" or "float32". Throws UsageError for a model HF's
// classes cannot describe (no QK-norm).
nlohmann::json hf_config(const ModelSpec& spec, int64_t max_positions, int64_t vocab_size,
                         const SpecialTokens& ids, const std::string& torch_dtype);

nlohmann::json hf_generation_config(const SpecialTokens& ids);

// The model a Hugging Face config.json describes: the family from model_type (olmo2, olmo3;
// anything else is a UsageError naming what was found), the dimensions, and each layer's
// attention window (-1: full). `path` names the file in errors.
struct HfModel {
    ModelSpec spec;                      // family, dimensions, vocab_size (rows), theta, eps
    std::vector<int64_t> layer_windows;  // per layer
    int64_t max_positions = 0;
};
HfModel read_hf_config(const nlohmann::json& config, const std::string& path);

// Where `found` (from an HF config) differs from `expected` (a ladder size): one line per
// difference, "d_model 2048 (size 190M has 768)"; empty when they describe the same model.
std::vector<std::string> spec_differences(const HfModel& found, const ModelSpec& expected);

// The YAML of a model.sizes entry for `spec` (for a size the ladder does not have).
std::string custom_size_yaml(const std::string& name, const ModelSpec& spec);

}  // namespace ladder::hf
