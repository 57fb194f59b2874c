// CRC-32C against its published check value and a bit-at-a-time reference, on every length
// and alignment the 8-byte instruction path splits differently.
#include <catch2/catch.hpp>
#include <string>

#include "util/crc32c.hpp"

namespace {

uint32_t bitwise(const std::string& bytes) {
    uint32_t crc = 0xFFFFFFFFu;
    for (const char c : bytes) {
        crc ^= static_cast<unsigned char>(c);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0u);
    }
    return ~crc;
}

}  // namespace

TEST_CASE("crc32c: check value, every length and alignment, both paths, in pieces", "[crc32c]") {
    CHECK(ladder::crc32c("123456789") == 0xE3069283u);
    std::string bytes;
    for (int i = 0; i < 300; ++i)
        bytes.push_back(static_cast<char>((i * 131 + 7) & 0xFF));
    for (size_t offset = 0; offset < 9; ++offset) {
        for (size_t length = 0; offset + length <= bytes.size(); length += 7) {
            const std::string piece = bytes.substr(offset, length);
            INFO("offset " << offset << ", length " << length);
            const uint32_t expected = bitwise(piece);
            REQUIRE(ladder::crc32c(piece) == expected);
            REQUIRE(ladder::crc32c_extend_portable(0, piece.data(), piece.size()) == expected);
            const size_t half = length / 2;
            const uint32_t first = ladder::crc32c_extend(0, piece.data(), half);
            REQUIRE(ladder::crc32c_extend(first, piece.data() + half, length - half) == expected);
        }
    }
}
