// The loss's fp32 working block, shared with the memory plan (which has no LibTorch).
#pragma once

#include <cstdint>

namespace ladder::model {

// Logits are handled this many at a time in fp32 (256 MB).
constexpr int64_t kLossChunkElements = int64_t{1} << 26;

}  // namespace ladder::model
