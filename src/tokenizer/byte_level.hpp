// GPT-2's byte-level alphabet: every byte mapped to a printable code point, so that a
// vocabulary of byte strings can be stored as text. Hugging Face tokenizer.json files
// write their BPE vocabulary and merges in it (tokenizers, pre_tokenizers/byte_level.rs,
// bytes_char; GPT-2's encoder.py, bytes_to_unicode).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ladder::tokenizer {

// The UTF-8 encoding of the code point that stands for `byte`.
const std::string& byte_level_char(unsigned char byte);

// The bytes a byte-level string stands for; nullopt when it holds a code point outside the
// alphabet (or is not UTF-8).
std::optional<std::string> byte_level_decode(std::string_view text);

// `bytes` written in the byte-level alphabet.
std::string byte_level_encode(std::string_view bytes);

}  // namespace ladder::tokenizer
