#include "util/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#endif

namespace ladder {

namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;  // reflected Castagnoli

constexpr std::array<uint32_t, 256> crc32c_table() {
    std::array<uint32_t, 256> table{};
    for (uint32_t byte = 0; byte < 256; ++byte) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0u);
        table[byte] = crc;
    }
    return table;
}

constexpr std::array<uint32_t, 256> kTable = crc32c_table();

// `crc` here is the running register (inverted), as both paths keep it.
uint32_t extend_with_table(uint32_t crc, const unsigned char* bytes, size_t size) {
    for (size_t i = 0; i < size; ++i)
        crc = (crc >> 8) ^ kTable[(crc ^ bytes[i]) & 0xFF];
    return crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("sse4.2"))) uint32_t extend_with_instruction(uint32_t crc,
                                                                   const unsigned char* bytes,
                                                                   size_t size) {
    uint64_t wide = crc;
    for (; size >= 8; size -= 8, bytes += 8) {
        uint64_t word;
        std::memcpy(&word, bytes, sizeof word);
        wide = _mm_crc32_u64(wide, word);
    }
    crc = static_cast<uint32_t>(wide);
    for (; size > 0; --size, ++bytes)
        crc = _mm_crc32_u8(crc, *bytes);
    return crc;
}

bool has_crc_instruction() {
    static const bool available = __builtin_cpu_supports("sse4.2");
    return available;
}
#endif

}  // namespace

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    uint32_t running = ~crc;
#if defined(__x86_64__) && defined(__GNUC__)
    if (has_crc_instruction())
        return ~extend_with_instruction(running, bytes, size);
#endif
    return ~extend_with_table(running, bytes, size);
}

uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size) {
    return ~extend_with_table(~crc, static_cast<const unsigned char*>(data), size);
}

}  // namespace ladder
