#include "config/tokenizers.hpp"

#include "util/format.hpp"

namespace ladder::config {

const std::vector<TokenizerPreset>& tokenizer_presets() {
    static const std::vector<TokenizerPreset> presets = {
        {"dolma2", "allenai/dolma2-tokenizer", 100278, 100257, 100277, std::nullopt},
        {"dolma2_sigdig", "allenai/dolma2-tokenizer-sigdig", 100278, 100257, 100277, 100257},
        {"gpt_neox_olmo_dolma_v1_5", "allenai/gpt-neox-olmo-dolma-v1_5", 50280, 50279, 1,
         std::nullopt},
        {"gpt2", "gpt2", 50257, 50256, 50256, 50256},
    };
    return presets;
}

std::vector<std::string> tokenizer_preset_names() {
    std::vector<std::string> names;
    for (const auto& preset : tokenizer_presets())
        names.emplace_back(preset.name);
    return names;
}

void resolve_tokenizer(TokenizerConfig& tokenizer) {
    for (const auto& preset : tokenizer_presets()) {
        if (tokenizer.name != preset.name && tokenizer.name != preset.identifier)
            continue;
        // The ids belong together: a preset fills them only when none is given.
        if (!tokenizer.vocab_size && !tokenizer.eos_token_id && !tokenizer.pad_token_id &&
            !tokenizer.bos_token_id) {
            tokenizer.vocab_size = preset.vocab_size;
            tokenizer.eos_token_id = preset.eos_token_id;
            tokenizer.pad_token_id = preset.pad_token_id;
            tokenizer.bos_token_id = preset.bos_token_id;
        }
        return;
    }
}

void validate_tokenizer(const TokenizerConfig& tokenizer, const std::string& path) {
    const std::vector<std::string> names = tokenizer_preset_names();
    const auto require = [&](const std::optional<int64_t>& value, const char* key) {
        if (value)
            return;
        std::string message = "required for tokenizer '" + tokenizer.name + "'";
        const std::string near = closest_match(tokenizer.name, names);
        message += near.empty() ? " (or name a preset: " + join(names, ", ") + ")"
                                : " (did you mean preset '" + near + "'?)";
        throw ConfigError(join_path(path, key), message);
    };
    require(tokenizer.vocab_size, "vocab_size");
    require(tokenizer.eos_token_id, "eos_token_id");
    require(tokenizer.pad_token_id, "pad_token_id");
    const auto below_vocab = [&](const std::optional<int64_t>& value, const char* key) {
        if (value && *value >= *tokenizer.vocab_size) {
            throw ConfigError(join_path(path, key), "expected an id < vocab_size (" +
                                                        std::to_string(*tokenizer.vocab_size) +
                                                        "), got " + std::to_string(*value));
        }
    };
    below_vocab(tokenizer.eos_token_id, "eos_token_id");
    below_vocab(tokenizer.pad_token_id, "pad_token_id");
    below_vocab(tokenizer.bos_token_id, "bos_token_id");
}

int64_t padded_vocab_size(int64_t vocab_size, int64_t multiple) {
    return multiple * ((vocab_size + multiple - 1) / multiple);
}

}  // namespace ladder::config
