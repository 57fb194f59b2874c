// Tokenizer presets of OLMo-core and the vocabulary padding rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"

namespace ladder::config {

struct TokenizerPreset {
    const char* name;
    const char* identifier;
    int64_t vocab_size;
    int64_t eos_token_id;
    int64_t pad_token_id;
    std::optional<int64_t> bos_token_id;
};

const std::vector<TokenizerPreset>& tokenizer_presets();

// Fills ids left null from the preset named by `tokenizer.name`, if it names one.
void resolve_tokenizer(TokenizerConfig& tokenizer);

// Unknown tokenizers must give vocab_size, eos and pad ids; every id must be < vocab_size.
void validate_tokenizer(const TokenizerConfig& tokenizer, const std::string& path);

// OLMo-core pads the embedding table to a multiple of 128 rows.
int64_t padded_vocab_size(int64_t vocab_size, int64_t multiple = 128);

}  // namespace ladder::config
