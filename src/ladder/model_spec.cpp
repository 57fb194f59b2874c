#include "ladder/model_spec.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "config/tokenizers.hpp"

namespace ladder {

namespace {

struct SizeRow {
    const char* name;
    int64_t d_model;
    int64_t n_layers;
    int64_t n_heads;
    int64_t n_kv_heads;  // 0: same as n_heads
    int64_t head_dim;    // 0: d_model / n_heads
    double multiplier;   // 0: none
    int64_t multiple_of;
};

// olmo2_* dimensions; olmo3 differs at 600M (d_model 1280) and 1B (16 layers).
const std::vector<SizeRow>& olmo2_rows() {
    static const std::vector<SizeRow> rows = {
        {"1M", 12, 4, 4, 0, 4, 1.0, 256},
        {"14M", 128, 4, 8, 0, 0, 0, 256},
        {"30M", 256, 4, 8, 0, 0, 0, 256},
        {"60M", 384, 8, 8, 0, 0, 1.5, 256},
        {"100M", 512, 12, 8, 0, 0, 1.5, 256},
        {"190M", 768, 12, 12, 0, 0, 1.5, 256},
        {"370M", 1024, 16, 16, 0, 0, 1.5, 256},
        {"600M", 1344, 16, 16, 0, 0, 1.5, 256},
        {"760M", 1536, 16, 16, 0, 0, 1.5, 256},
        {"1B", 2048, 18, 16, 0, 0, 1.5, 256},
        {"3B", 3328, 16, 16, 0, 0, 1.5, 256},
        {"7B", 4096, 32, 32, 0, 0, 0, 256},
        {"13B", 5120, 40, 40, 0, 0, 0, 256},
        // 27648 = int(m * int(8 * 5120 / 3)) rounded to 512 with m = 27648 / (8 * 5120 / 3).
        {"32B", 5120, 64, 40, 8, 0, 27648.0 / (8.0 * 5120.0 / 3.0), 512},
    };
    return rows;
}

ModelSpec spec_from_row(SizeRow row, const std::string& family, int64_t vocab) {
    if (family == "olmo3" && std::string(row.name) == "600M")
        row.d_model = 1280;
    if (family == "olmo3" && std::string(row.name) == "1B")
        row.n_layers = 16;
    ModelSpec spec;
    spec.family = family;
    spec.d_model = row.d_model;
    spec.n_layers = row.n_layers;
    spec.n_heads = row.n_heads;
    spec.n_kv_heads = row.n_kv_heads ? row.n_kv_heads : row.n_heads;
    spec.head_dim = row.head_dim ? row.head_dim : row.d_model / row.n_heads;
    spec.hidden_size = swiglu_hidden_size(
        row.d_model, row.multiplier > 0 ? std::optional<double>(row.multiplier) : std::nullopt,
        row.multiple_of);
    spec.vocab_size = vocab;
    if (family == "olmo3")
        spec.window_pattern = {4096, 4096, 4096, -1};
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

int64_t ModelSpec::num_params() const {
    const int64_t d = d_model;
    const int64_t q = n_heads * head_dim;
    const int64_t kv = n_kv_heads * head_dim;
    const int64_t attention = d * q + 2 * d * kv + (q + kv) + q * d;
    const int64_t feed_forward = 3 * d * hidden_size;
    const int64_t block = attention + feed_forward + 2 * d;
    return vocab_size * d + n_layers * block + d + d * vocab_size;
}

int64_t ModelSpec::num_non_embedding_params() const {
    return num_params() - vocab_size * d_model;
}

int64_t ModelSpec::flops_per_token(int64_t sequence_length) const {
    const int64_t d = d_model;
    const int64_t q = n_heads * head_dim;
    const int64_t kv = n_kv_heads * head_dim;
    const int64_t attention_params = d * q + 2 * d * kv + (q + kv) + q * d;
    const int64_t feed_forward_params = 3 * d * hidden_size;
    int64_t flops = 0;
    for (int64_t layer = 0; layer < n_layers; ++layer) {
        const int64_t w = window(layer);
        const int64_t context = w < 0 ? sequence_length : std::min(w, sequence_length);
        flops += 6 * attention_params + 12 * n_heads * head_dim * context + 6 * feed_forward_params;
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
    for (const auto& row : olmo2_rows())
        names.emplace_back(row.name);
    return names;
}

std::optional<ModelSpec> find_model_spec(const config::LadderConfig& config,
                                         const std::string& size) {
    const std::string& family = config.model.family;
    const auto custom = config.model.sizes.find(size);
    if (custom != config.model.sizes.end()) {
        const auto& c = custom->second;
        ModelSpec spec;
        spec.family = family;
        spec.d_model = c.d_model;
        spec.n_layers = c.n_layers;
        spec.n_heads = c.n_heads;
        spec.n_kv_heads = c.n_kv_heads.value_or(c.n_heads);
        spec.head_dim = c.head_dim.value_or(c.d_model / c.n_heads);
        spec.hidden_size = c.hidden_size ? *c.hidden_size
                                         : swiglu_hidden_size(c.d_model, c.hidden_size_multiplier,
                                                              c.hidden_size_multiple_of);
        spec.vocab_size = padded_vocab(config);
        if (family == "olmo3")
            spec.window_pattern = {4096, 4096, 4096, -1};
        return spec;
    }
    for (const auto& row : olmo2_rows()) {
        if (size == row.name)
            return spec_from_row(row, family, padded_vocab(config));
    }
    return std::nullopt;
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
    if (size.size() < 2)
        return std::nullopt;
    const char suffix = size.back();
    double scale = 0;
    switch (suffix) {
        case 'K':
            scale = 1e3;
            break;
        case 'M':
            scale = 1e6;
            break;
        case 'B':
            scale = 1e9;
            break;
        case 'T':
            scale = 1e12;
            break;
        default:
            return std::nullopt;
    }
    const std::string number = size.substr(0, size.size() - 1);
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (end == number.c_str() || *end != '\0' || !(value > 0))
        return std::nullopt;
    return value * scale;
}

}  // namespace ladder
