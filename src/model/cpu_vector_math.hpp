// Elementwise math for ladder's CPU kernels, written as plain loops that the compiler
// vectorizes: no calls inside (std::exp in a loop keeps it scalar), no lookups.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

// Compiles the marked function once per instruction set and picks one when the library is
// loaded (an ifunc), so that its loops run 16, 8 or 4 floats wide on AVX-512, AVX2 or SSE2
// machines from one build for the baseline x86-64.
#if defined(__x86_64__) && defined(__GNUC__)
#define LADDER_VECTOR_CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#else
#define LADDER_VECTOR_CLONES
#endif

namespace ladder::model {

// e^x in float, within 1.5e-7 relative of the exact value for x in [-87.3, 88]; 0 below
// (where e^x leaves the normal floats), e^88 above (the kernels' arguments are at most 0,
// or a sigmoid's, which is 1 / (1 + e^88) = 0 there alike); NaN for NaN. Cephes' expf:
// x = n ln 2 + r with |r| <= ln 2 / 2, e^r by a degree-7 polynomial, 2^n written into the
// exponent bits.
inline float vector_exp(float x) {
    const float clamped = x < -87.3f ? -87.3f : (x > 88.0f ? 88.0f : x);
    // n = round(x / ln 2): adding 1.5 * 2^23 leaves n in the low bits of the sum.
    const float shifted = clamped * 1.44269504088896341f + 12582912.0f;
    const float n = shifted - 12582912.0f;
    // ln 2 in two parts, so that n ln 2 is taken away without rounding.
    const float r = (clamped - n * 0.693359375f) + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    // 2^n: n + 127 in the exponent bits (n is within [-126, 127] after the clamp).
    uint32_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    bits = (bits - 0x4B400000u + 127u) << 23;
    float two_to_n;
    std::memcpy(&two_to_n, &bits, sizeof two_to_n);
    return x < -87.3f ? 0.0f : p * two_to_n;
}

// Double-precision kernels (the tests' reference precision) keep the library's exp.
inline double vector_exp(double x) {
    return std::exp(x);
}

}  // namespace ladder::model
