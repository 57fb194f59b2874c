// GPT-2's byte-level alphabet (see byte_level.hpp).
#include "tokenizer/byte_level.hpp"

#include <array>
#include <unordered_map>

namespace ladder::tokenizer {

namespace {

std::string utf8(uint32_t code_point) {
    std::string out;
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else {  // the alphabet stays below U+0800: two bytes at most
        out += static_cast<char>(0xc0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3f));
    }
    return out;
}

// Printable Latin-1 bytes stand for themselves; the other 68 bytes take the code points
// from U+0100 on, in byte order (GPT-2's bytes_to_unicode).
struct Alphabet {
    std::array<std::string, 256> chars;
    std::unordered_map<std::string, char> bytes;

    Alphabet() {
        uint32_t next = 256;
        for (uint32_t byte = 0; byte < 256; ++byte) {
            const bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xa1 && byte <= 0xac) ||
                                   (byte >= 0xae && byte <= 0xff);
            chars[byte] = utf8(printable ? byte : next++);
            bytes[chars[byte]] = static_cast<char>(byte);
        }
    }
};

const Alphabet& alphabet() {
    static const Alphabet instance;
    return instance;
}

}  // namespace

const std::string& byte_level_char(unsigned char byte) {
    return alphabet().chars[byte];
}

std::optional<std::string> byte_level_decode(std::string_view text) {
    const auto& bytes = alphabet().bytes;
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        const size_t length = (static_cast<unsigned char>(text[i]) & 0x80) == 0 ? 1 : 2;
        if (i + length > text.size())
            return std::nullopt;
        const auto found = bytes.find(std::string(text.substr(i, length)));
        if (found == bytes.end())
            return std::nullopt;
        out += found->second;
        i += length;
    }
    return out;
}

std::string byte_level_encode(std::string_view bytes) {
    std::string out;
    for (const char byte : bytes)
        out += byte_level_char(static_cast<unsigned char>(byte));
    return out;
}

}  // namespace ladder::tokenizer
