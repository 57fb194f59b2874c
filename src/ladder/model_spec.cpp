#include "ladder/model_spec.hpp"

#include <algorithm>
#include <cctype>

#include "config/tokenizers.hpp"
#include "ladder/model_family.hpp"
#include "util/format.hpp"

namespace ladder {

namespace {

ModelSpec spec_from_row(const SizeRow& row, int64_t vocab) {
    ModelSpec spec;
    spec.d_model = row.d_model;
    spec.n_layers = row.n_layers;
    spec.n_heads = row.n_heads;
    spec.n_kv_heads = row.n_kv_heads ? row.n_kv_heads : row.n_heads;
    spec.head_dim = row.head_dim ? row.head_dim : row.d_model / row.n_heads;
    spec.hidden_size = swiglu_hidden_size(
        row.d_model, row.multiplier > 0 ? std::optional<double>(row.multiplier) : std::nullopt,
        row.multiple_of);
    spec.vocab_size = vocab;
    return spec;
}

ModelSpec spec_from_custom(const config::CustomSizeConfig& c, int64_t vocab) {
    ModelSpec spec;
    spec.d_model = c.d_model;
    spec.n_layers = c.n_layers;
    spec.n_heads = c.n_heads;
    spec.n_kv_heads = c.n_kv_heads.value_or(c.n_heads);
    spec.head_dim = c.head_dim.value_or(c.d_model / c.n_heads);
    spec.hidden_size = c.hidden_size ? *c.hidden_size
                                     : swiglu_hidden_size(c.d_model, c.hidden_size_multiplier,
                                                          c.hidden_size_multiple_of);
    spec.vocab_size = vocab;
    return spec;
}

int64_t padded_vocab(const config::LadderConfig& config) {
    // Validation guarantees a vocab_size once the tokenizer is resolved.
    return config::padded_vocab_size(config.tokenizer.vocab_size.value_or(0));
}

}  // namespace

int64_t ModelSpec::window(int64_t layer) const {
    if (window_pattern.empty() || layer == n_layers - 1)
        return -1;
    return window_pattern[layer % window_pattern.size()];
}

int64_t ModelSpec::attention_params() const {
    const int64_t q = n_heads * head_dim;
    const int64_t kv = n_kv_heads * head_dim;
    return d_model * q + 2 * d_model * kv + q * d_model + (qk_norm ? q + kv : 0);
}

int64_t ModelSpec::num_params() const {
    const int64_t d = d_model;
    const int64_t feed_forward = 3 * d * hidden_size;
    const int64_t block = attention_params() + feed_forward + 2 * d;  // + two RMSNorms
    // Embeddings, blocks, final norm, untied LM head.
    return vocab_size * d + n_layers * block + d + d * vocab_size;
}

int64_t ModelSpec::num_non_embedding_params() const {
    return num_params() - vocab_size * d_model;
}

int64_t ModelSpec::flops_per_token(int64_t sequence_length) const {
    const int64_t d = d_model;
    const int64_t feed_forward_params = 3 * d * hidden_size;
    int64_t flops = 0;
    for (int64_t layer = 0; layer < n_layers; ++layer) {
        const int64_t w = window(layer);
        const int64_t context = w < 0 ? sequence_length : std::min(w, sequence_length);
        // 6 FLOPs per weight (forward + backward); 12 per head dimension per attended key.
        flops +=
            6 * attention_params() + 12 * n_heads * head_dim * context + 6 * feed_forward_params;
    }
    return flops + 6 * (d + d * vocab_size);
}

int64_t swiglu_hidden_size(int64_t d_model, std::optional<double> multiplier, int64_t multiple_of) {
    int64_t hidden = static_cast<int64_t>(8.0 * static_cast<double>(d_model) / 3.0);
    if (multiplier)
        hidden = static_cast<int64_t>(*multiplier * static_cast<double>(hidden));
    return multiple_of * ((hidden + multiple_of - 1) / multiple_of);
}

std::vector<std::string> builtin_size_names() {
    std::vector<std::string> names;
    for (const auto& row : shared_size_rows())
        names.emplace_back(row.name);
    return names;
}

std::optional<ModelSpec> find_model_spec(const config::LadderConfig& config,
                                         const std::string& size) {
    const ModelFamily& family = model_family(config.model.family);
    std::optional<ModelSpec> spec;
    const auto custom = config.model.sizes.find(size);
    if (custom != config.model.sizes.end()) {
        spec = spec_from_custom(custom->second, padded_vocab(config));
    } else if (const SizeRow* row = family.row(size)) {
        spec = spec_from_row(*row, padded_vocab(config));
    } else {
        return std::nullopt;
    }
    spec->family = family.name;
    spec->qk_norm = family.qk_norm;
    spec->window_pattern = family.window_pattern;
    return spec;
}

std::vector<std::string> known_size_names(const config::LadderConfig& config) {
    std::vector<std::string> names;
    for (const auto& [name, spec] : config.model.sizes)
        names.push_back(name);
    for (const auto& name : builtin_size_names()) {
        if (!config.model.sizes.count(name))
            names.push_back(name);
    }
    return names;
}

std::optional<double> parse_size_count(const std::string& size) {
    // A size name always has its suffix: "190" is no size.
    if (size.empty() || !std::isalpha(static_cast<unsigned char>(size.back())))
        return std::nullopt;
    return parse_count(size);
}

}  // namespace ladder
