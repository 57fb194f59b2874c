// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of TFRecords and of
// the files of a checkpoint. On x86 CPUs with SSE4.2 it runs on the crc32 instruction
// (gigabytes a second, so checkpoints of billions of parameters are summed while they are
// written and read); elsewhere eight bits at a time from a table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ladder {

// The CRC of `size` more bytes after bytes whose CRC was `crc` (0 for none).
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);

// The same from the table alone, whatever the CPU (the tests hold both paths to one answer).
uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size);

inline uint32_t crc32c(std::string_view bytes) {
    return crc32c_extend(0, bytes.data(), bytes.size());
}

}  // namespace ladder
