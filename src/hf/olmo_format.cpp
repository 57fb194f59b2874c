// ladder's models in Hugging Face's terms (see olmo_format.hpp).
#include "hf/olmo_format.hpp"

#include <regex>
#include <sstream>
#include <stdexcept>

#include "config/tokenizers.hpp"
#include "util/error.hpp"

namespace ladder::hf {

namespace {

using nlohmann::json;

struct Architecture {
    const char* family;
    const char* model_type;
    const char* class_name;
};

const std::vector<Architecture>& architectures() {
    static const std::vector<Architecture> all = {{"olmo2", "olmo2", "Olmo2ForCausalLM"},
                                                  {"olmo3", "olmo3", "Olmo3ForCausalLM"}};
    return all;
}

}  // namespace

std::string hf_parameter_name(const std::string& name) {
    // OLMo-core, src/olmo_core/nn/hf/convert.py: the block's norms come after attention and
    // the feed-forward (post_attention_layernorm, post_feedforward_layernorm); w1 is the
    // SwiGLU gate, w3 the up projection, w2 the down projection.
    static const std::vector<std::pair<std::string, std::string>> in_block = {
        {"attention.w_q.weight", "self_attn.q_proj.weight"},
        {"attention.w_k.weight", "self_attn.k_proj.weight"},
        {"attention.w_v.weight", "self_attn.v_proj.weight"},
        {"attention.w_out.weight", "self_attn.o_proj.weight"},
        {"attention.q_norm.weight", "self_attn.q_norm.weight"},
        {"attention.k_norm.weight", "self_attn.k_norm.weight"},
        {"attention_norm.weight", "post_attention_layernorm.weight"},
        {"feed_forward.w1.weight", "mlp.gate_proj.weight"},
        {"feed_forward.w3.weight", "mlp.up_proj.weight"},
        {"feed_forward.w2.weight", "mlp.down_proj.weight"},
        {"feed_forward_norm.weight", "post_feedforward_layernorm.weight"}};
    if (name == "embeddings.weight")
        return "model.embed_tokens.weight";
    if (name == "lm_head.norm.weight")
        return "model.norm.weight";
    if (name == "lm_head.w_out.weight")
        return "lm_head.weight";
    static const std::regex block(R"(blocks\.(\d+)\.(.+))");
    std::smatch match;
    if (std::regex_match(name, match, block)) {
        for (const auto& [ours, theirs] : in_block) {
            if (match[2] == ours)
                return "model.layers." + match[1].str() + "." + theirs;
        }
    }
    throw std::invalid_argument("no Hugging Face name for parameter '" + name + "'");
}

json hf_config(const ModelSpec& spec, int64_t max_positions, int64_t vocab_size,
               const SpecialTokens& ids, const std::string& torch_dtype) {
    const Architecture* architecture = nullptr;
    for (const Architecture& a : architectures()) {
        if (spec.family == a.family)
            architecture = &a;
    }
    if (!architecture)
        throw UsageError("model family '" + spec.family + "' has no Hugging Face class");
    if (!spec.qk_norm)
        throw UsageError("model family '" + spec.family +
                         "' has no QK-norm, which Olmo2/Olmo3 have");
    const auto id = [](const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); };
    json config = {{"architectures", {architecture->class_name}},
                   {"model_type", architecture->model_type},
                   {"vocab_size", vocab_size},
                   {"hidden_size", spec.d_model},
                   {"intermediate_size", spec.hidden_size},
                   {"num_hidden_layers", spec.n_layers},
                   {"num_attention_heads", spec.n_heads},
                   {"num_key_value_heads", spec.n_kv_heads},
                   {"hidden_act", "silu"},
                   {"max_position_embeddings", max_positions},
                   {"initializer_range", 0.02},
                   {"rms_norm_eps", spec.norm_eps},
                   {"use_cache", true},
                   {"pad_token_id", id(ids.pad)},
                   {"bos_token_id", id(ids.bos)},
                   {"eos_token_id", id(ids.eos)},
                   {"tie_word_embeddings", false},
                   {"rope_theta", spec.rope_theta},
                   {"rope_scaling", nullptr},
                   {"attention_bias", false},
                   {"attention_dropout", 0.0},
                   {"torch_dtype", torch_dtype}};
    // Olmo2Config and Olmo3Config declare no head_dim, but their attention reads one when the
    // config has it (getattr(config, "head_dim", hidden_size // num_attention_heads)).
    if (spec.head_dim * spec.n_heads != spec.d_model)
        config["head_dim"] = spec.head_dim;
    if (spec.family == "olmo3") {
        // Every layer's type written out: HF's default pattern (full every 4th layer) and
        // ladder's (the last layer always full) differ unless n_layers is a multiple of 4.
        json types = json::array();
        int64_t window = 0;
        for (int64_t layer = 0; layer < spec.n_layers; ++layer) {
            const int64_t w = spec.window(layer);
            types.push_back(w < 0 ? "full_attention" : "sliding_attention");
            if (w > 0 && window > 0 && w != window)
                throw UsageError("layers with sliding windows of " + std::to_string(window) +
                                 " and " + std::to_string(w) +
                                 " tokens: Olmo3Config has one sliding_window");
            if (w > 0)
                window = w;
        }
        // A query sees itself and the window - 1 keys before it, in both: HF's sliding mask
        // keeps keys with query - key < sliding_window.
        config["sliding_window"] = window > 0 ? json(window) : json(nullptr);
        config["layer_types"] = types;
    }
    return config;
}

json hf_generation_config(const SpecialTokens& ids) {
    json config = {{"_from_model_config", true}};
    if (ids.bos)
        config["bos_token_id"] = *ids.bos;
    if (ids.eos)
        config["eos_token_id"] = *ids.eos;
    if (ids.pad)
        config["pad_token_id"] = *ids.pad;
    return config;
}

HfModel read_hf_config(const json& config, const std::string& path) {
    const auto bad = [&](const std::string& field, const std::string& what) {
        return UsageError("Hugging Face config '" + path + "': " + field + ": " + what);
    };
    if (!config.is_object())
        throw UsageError("Hugging Face config '" + path + "': expected a JSON object");
    const std::string model_type = config.value("model_type", std::string());
    const Architecture* architecture = nullptr;
    for (const Architecture& a : architectures()) {
        if (model_type == a.model_type)
            architecture = &a;
    }
    if (!architecture) {
        throw bad("model_type",
                  "expected olmo2 or olmo3, found " +
                      (model_type.empty() ? std::string("none") : "'" + model_type + "'"));
    }
    const auto integer = [&](const char* key) -> int64_t {
        if (!config.contains(key) || !config[key].is_number_integer() ||
            config[key].get<int64_t>() <= 0)
            throw bad(key, "expected a positive whole number");
        return config[key].get<int64_t>();
    };
    const auto number = [&](const char* key, double fallback) -> double {
        if (!config.contains(key) || config[key].is_null())
            return fallback;
        if (!config[key].is_number())
            throw bad(key, "expected a number");
        return config[key].get<double>();
    };
    const auto must_be = [&](const char* key, const json& expected) {
        if (config.contains(key) && !config[key].is_null() && config[key] != expected)
            throw bad(key, "expected " + expected.dump() + ", found " + config[key].dump() +
                               " (ladder's Olmo models have none)");
    };
    must_be("attention_bias", false);
    must_be("tie_word_embeddings", false);
    must_be("hidden_act", "silu");
    must_be("rope_scaling", nullptr);

    HfModel model;
    ModelSpec& spec = model.spec;
    spec.family = architecture->family;
    spec.d_model = integer("hidden_size");
    spec.n_layers = integer("num_hidden_layers");
    spec.n_heads = integer("num_attention_heads");
    spec.n_kv_heads =
        config.contains("num_key_value_heads") && !config["num_key_value_heads"].is_null()
            ? integer("num_key_value_heads")
            : spec.n_heads;
    if (spec.n_heads % spec.n_kv_heads != 0)
        throw bad("num_key_value_heads", "does not divide num_attention_heads");
    if (config.contains("head_dim") && !config["head_dim"].is_null()) {
        spec.head_dim = integer("head_dim");
    } else {
        if (spec.d_model % spec.n_heads != 0)
            throw bad("num_attention_heads", "does not divide hidden_size (and no head_dim)");
        spec.head_dim = spec.d_model / spec.n_heads;
    }
    spec.hidden_size = integer("intermediate_size");
    spec.vocab_size = integer("vocab_size");
    spec.rope_theta = number("rope_theta", 10000.0);
    spec.norm_eps = number("rms_norm_eps", 1e-6);
    spec.qk_norm = true;
    model.max_positions = integer("max_position_embeddings");
    model.layer_windows.assign(static_cast<size_t>(spec.n_layers), -1);
    if (spec.family == "olmo3" && config.contains("layer_types") &&
        !config["layer_types"].is_null()) {
        const json& types = config["layer_types"];
        if (!types.is_array() || types.size() != static_cast<size_t>(spec.n_layers))
            throw bad("layer_types",
                      "expected one entry per layer (" + std::to_string(spec.n_layers) + ")");
        int64_t window = 0;
        for (size_t i = 0; i < types.size(); ++i) {
            const std::string type = types[i].is_string() ? types[i].get<std::string>() : "";
            if (type == "sliding_attention") {
                window = window > 0 ? window : integer("sliding_window");
                model.layer_windows[i] = window;
            } else if (type != "full_attention") {
                throw bad("layer_types[" + std::to_string(i) + "]",
                          "expected sliding_attention or full_attention, found " + types[i].dump());
            }
        }
    } else if (spec.family == "olmo3") {
        throw bad("layer_types", "missing: ladder reads Olmo3 configs that list each layer's type");
    }
    return model;
}

std::vector<std::string> spec_differences(const HfModel& found, const ModelSpec& expected) {
    std::vector<std::string> out;
    const auto compare = [&](const char* what, auto ours, auto theirs) {
        if (ours != theirs) {
            std::ostringstream line;
            line << what << " " << theirs << " (the size has " << ours << ")";
            out.push_back(line.str());
        }
    };
    const ModelSpec& spec = found.spec;
    compare("family", expected.family, spec.family);
    compare("d_model", expected.d_model, spec.d_model);
    compare("n_layers", expected.n_layers, spec.n_layers);
    compare("n_heads", expected.n_heads, spec.n_heads);
    compare("n_kv_heads", expected.n_kv_heads, spec.n_kv_heads);
    compare("head_dim", expected.head_dim, spec.head_dim);
    compare("hidden_size", expected.hidden_size, spec.hidden_size);
    // HF keeps the tokenizer's vocabulary, ladder's model pads it to a multiple of 128.
    compare("vocab_size padded", expected.vocab_size, config::padded_vocab_size(spec.vocab_size));
    compare("rope_theta", expected.rope_theta, spec.rope_theta);
    compare("rms_norm_eps", expected.norm_eps, spec.norm_eps);
    if (out.empty()) {
        for (int64_t layer = 0; layer < spec.n_layers; ++layer) {
            const int64_t theirs = found.layer_windows[static_cast<size_t>(layer)];
            if (theirs != expected.window(layer)) {
                out.push_back("layer " + std::to_string(layer) + " window " +
                              std::to_string(theirs) + " (the size has " +
                              std::to_string(expected.window(layer)) + "; -1 is full attention)");
                break;
            }
        }
    }
    return out;
}

std::string custom_size_yaml(const std::string& name, const ModelSpec& spec) {
    return "model:\n  family: " + spec.family + "\n  sizes:\n    " + name +
           ": {d_model: " + std::to_string(spec.d_model) +
           ", n_layers: " + std::to_string(spec.n_layers) +
           ", n_heads: " + std::to_string(spec.n_heads) +
           ", n_kv_heads: " + std::to_string(spec.n_kv_heads) +
           (spec.head_dim * spec.n_heads != spec.d_model
                ? ", head_dim: " + std::to_string(spec.head_dim)
                : std::string()) +
           ", hidden_size: " + std::to_string(spec.hidden_size) + "}\n";
}

}  // namespace ladder::hf
