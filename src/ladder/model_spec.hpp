// One model of a family (ladder/model_family.hpp): its dimensions, exact parameter count
// (OLMo-core's TransformerConfig.num_params / num_non_embedding_params) and training FLOPs
// per token (TransformerConfig.num_flops_per_token). Pure arithmetic; the LibTorch model is
// built from this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"

namespace ladder {

struct ModelSpec {
    std::string family;  // a model_family name
    int64_t d_model = 0;
    int64_t n_layers = 0;
    int64_t n_heads = 0;
    int64_t n_kv_heads = 0;
    int64_t head_dim = 0;
    int64_t hidden_size = 0;  // SwiGLU hidden width
    int64_t vocab_size = 0;   // padded embedding rows
    double rope_theta = 500000.0;
    double norm_eps = 1e-6;
    bool qk_norm = true;  // from the family
    // Sliding-window pattern repeated over layers (-1 = full attention); empty = all full.
    // The last layer is always full. From the family.
    std::vector<int64_t> window_pattern;

    // Attention window of layer i in tokens, or -1 for full attention.
    int64_t window(int64_t layer) const;

    int64_t num_params() const;
    // All parameters but the input embedding; still includes the LM head and final norm.
    // This is the N of every ladder formula.
    int64_t num_non_embedding_params() const;
    // Training FLOPs per token at a sequence length (embedding lookups excluded).
    int64_t flops_per_token(int64_t sequence_length) const;

  private:
    // Parameters of one block's attention: q, k, v and output projections, plus the
    // QK-norm weights.
    int64_t attention_params() const;
};

// SwiGLU hidden size: int(8d/3), times an optional multiplier (truncated), rounded up to
// a multiple of `multiple_of`.
int64_t swiglu_hidden_size(int64_t d_model, std::optional<double> multiplier, int64_t multiple_of);

// Names of the built-in sizes, smallest first.
std::vector<std::string> builtin_size_names();

// A built-in or custom (config `model.sizes`) size; nullopt if the name is unknown.
std::optional<ModelSpec> find_model_spec(const config::LadderConfig& config,
                                         const std::string& size);

// Every size name the config can use: custom ones, then built-in ones.
std::vector<std::string> known_size_names(const config::LadderConfig& config);

// "190M" -> 1.9e8 (K, M, B, T suffixes, as OLMo-core's TransformerSize); nullopt when the
// name is not a number with a suffix.
std::optional<double> parse_size_count(const std::string& size);

}  // namespace ladder
