// The little UTF-8 a tokenizer needs: validation (text from disk is checked before it is
// matched), stepping over characters, and Unicode's White_Space property.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ladder::tokenizer {

// The offset of the first byte that does not start a valid UTF-8 character (overlong
// forms, surrogates and code points above U+10FFFF are invalid), or npos when all are valid.
size_t utf8_invalid_offset(std::string_view text);

// For valid UTF-8: the code point starting at `at`, and the offsets of the characters after
// and before it.
uint32_t utf8_code_point(std::string_view text, size_t at);
size_t utf8_next(std::string_view text, size_t at);
size_t utf8_previous(std::string_view text, size_t at);

// Unicode's White_Space property (Rust's char::is_whitespace).
bool is_white_space(uint32_t code_point);

}  // namespace ladder::tokenizer
