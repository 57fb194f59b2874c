// SplitMix64 (Steele, Lea & Flood 2014): state += 0x9E3779B97F4A7C15, then an output mix.
// Tiny, fast and the same sequence on every platform: the data loader's shuffle and the
// fits' bootstrap draw from it, so both are reproducible everywhere.
#pragma once

#include <cstdint>

namespace ladder {

// The output mix alone, also used to derive seeds.
inline uint64_t split_mix64_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

class SplitMix64 {
  public:
    explicit SplitMix64(uint64_t state) : state_(state) {}

    uint64_t next() { return split_mix64_mix(state_ += 0x9E3779B97F4A7C15ULL); }

    // Uniform in [0, range), range >= 1 (Lemire 2019, "Fast Random Integer Generation in
    // an Interval"): rejecting the low products below 2^64 mod range removes the bias.
    uint64_t bounded(uint64_t range) {
        uint64_t low;
        uint64_t high = multiply_high(next(), range, low);
        if (low < range) {
            const uint64_t threshold = (0 - range) % range;
            while (low < threshold)
                high = multiply_high(next(), range, low);
        }
        return high;
    }

  private:
    // The high and low 64 bits of a·b, from 32-bit halves (no compiler extension needed).
    static uint64_t multiply_high(uint64_t a, uint64_t b, uint64_t& low) {
        const uint64_t a_lo = a & 0xFFFFFFFFULL, a_hi = a >> 32;
        const uint64_t b_lo = b & 0xFFFFFFFFULL, b_hi = b >> 32;
        const uint64_t lo_lo = a_lo * b_lo, lo_hi = a_lo * b_hi;
        const uint64_t hi_lo = a_hi * b_lo, hi_hi = a_hi * b_hi;
        const uint64_t middle = (lo_lo >> 32) + (lo_hi & 0xFFFFFFFFULL) + (hi_lo & 0xFFFFFFFFULL);
        low = (middle << 32) | (lo_lo & 0xFFFFFFFFULL);
        return hi_hi + (lo_hi >> 32) + (hi_lo >> 32) + (middle >> 32);
    }

    uint64_t state_;
};

}  // namespace ladder
