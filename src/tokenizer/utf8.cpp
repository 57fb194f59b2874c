// UTF-8 helpers (see utf8.hpp).
#include "tokenizer/utf8.hpp"

namespace ladder::tokenizer {

namespace {

size_t sequence_length(unsigned char lead) {
    if (lead < 0x80)
        return 1;
    if ((lead & 0xe0) == 0xc0)
        return 2;
    if ((lead & 0xf0) == 0xe0)
        return 3;
    return 4;
}

}  // namespace

size_t utf8_invalid_offset(std::string_view text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    for (size_t i = 0; i < n;) {
        const unsigned char lead = bytes[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        size_t length;
        uint32_t code_point, minimum;
        if (lead >= 0xc2 && lead <= 0xdf) {
            length = 2, code_point = lead & 0x1f, minimum = 0x80;
        } else if ((lead & 0xf0) == 0xe0) {
            length = 3, code_point = lead & 0x0f, minimum = 0x800;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            length = 4, code_point = lead & 0x07, minimum = 0x10000;
        } else {
            return i;
        }
        if (i + length > n)
            return i;
        for (size_t k = 1; k < length; ++k) {
            if ((bytes[i + k] & 0xc0) != 0x80)
                return i;
            code_point = (code_point << 6) | (bytes[i + k] & 0x3f);
        }
        if (code_point < minimum || code_point > 0x10ffff ||
            (code_point >= 0xd800 && code_point <= 0xdfff))
            return i;
        i += length;
    }
    return std::string_view::npos;
}

uint32_t utf8_code_point(std::string_view text, size_t at) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data()) + at;
    switch (sequence_length(bytes[0])) {
        case 1:
            return bytes[0];
        case 2:
            return ((bytes[0] & 0x1fu) << 6) | (bytes[1] & 0x3fu);
        case 3:
            return ((bytes[0] & 0x0fu) << 12) | ((bytes[1] & 0x3fu) << 6) | (bytes[2] & 0x3fu);
        default:
            return ((bytes[0] & 0x07u) << 18) | ((bytes[1] & 0x3fu) << 12) |
                   ((bytes[2] & 0x3fu) << 6) | (bytes[3] & 0x3fu);
    }
}

size_t utf8_next(std::string_view text, size_t at) {
    return at + sequence_length(static_cast<unsigned char>(text[at]));
}

size_t utf8_previous(std::string_view text, size_t at) {
    do {
        --at;
    } while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xc0) == 0x80);
    return at;
}

bool is_white_space(uint32_t c) {
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

}  // namespace ladder::tokenizer
