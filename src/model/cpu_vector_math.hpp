// Elementwise math for ladder's CPU kernels, written as plain loops that the compiler
// vectorizes: no calls inside (std::exp in a loop keeps it scalar), no lookups.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

// Compiles the marked function once per instruction set and picks one when the library is
// loaded (an ifunc), so that its loops run 16, 8 or 4 floats wide on AVX-512, AVX2 or SSE2
// machines from one build for the baseline x86-64 (GCC; other compilers build the baseline).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
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

// Reductions over n terms kept in kLanes partial results, so that the compiler vectorizes
// them (it keeps one floating-point sum in order otherwise). term(j) gives the j-th term.
constexpr int64_t kLanes = 16;

template <typename scalar_t, typename Term>
inline scalar_t lane_sum(int64_t n, const Term& term) {
    const int64_t whole = n - n % kLanes;
    scalar_t lane[kLanes] = {};
    for (int64_t j = 0; j < whole; j += kLanes)
        for (int64_t l = 0; l < kLanes; ++l)
            lane[l] += term(j + l);
    for (int64_t j = whole; j < n; ++j)
        lane[0] += term(j);
    scalar_t sum = 0;
    for (int64_t l = 0; l < kLanes; ++l)
        sum += lane[l];
    return sum;
}

// The largest of x[0:n], -inf for n = 0; NaNs are passed over.
template <typename scalar_t>
inline scalar_t lane_max(const scalar_t* x, int64_t n) {
    const int64_t whole = n - n % kLanes;
    scalar_t lane[kLanes];
    for (int64_t l = 0; l < kLanes; ++l)
        lane[l] = -std::numeric_limits<scalar_t>::infinity();
    for (int64_t j = 0; j < whole; j += kLanes)
        for (int64_t l = 0; l < kLanes; ++l)
            lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
    for (int64_t j = whole; j < n; ++j)
        lane[0] = x[j] > lane[0] ? x[j] : lane[0];
    scalar_t m = lane[0];
    for (int64_t l = 1; l < kLanes; ++l)
        m = lane[l] > m ? lane[l] : m;
    return m;
}

}  // namespace ladder::model
