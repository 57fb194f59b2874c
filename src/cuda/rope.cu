#include "cuda/elementwise.cuh"
#include "cuda/kernels.hpp"

namespace ladder::cuda {

namespace {

// One thread per pair (j, j + half) of one head at one position.
template <typename T>
__global__ void rope_kernel(T* __restrict__ x, const float* __restrict__ cos,
                            const float* __restrict__ sin, int64_t pairs, int64_t seq,
                            int64_t heads, int64_t half, float sign) {
    for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < pairs;
         i += int64_t{gridDim.x} * blockDim.x) {
        const int64_t j = i % half;
        const int64_t head_row = i / half;           // (b, t, h) flattened
        const int64_t t = (head_row / heads) % seq;  // position
        T* pair = x + head_row * 2 * half;
        const float c = cos[t * half + j], s = sign * sin[t * half + j];
        const float x1 = to_float(pair[j]), x2 = to_float(pair[j + half]);
        pair[j] = from_float<T>(x1 * c - x2 * s);
        pair[j + half] = from_float<T>(x2 * c + x1 * s);
    }
}

}  // namespace

cudaError_t rope(DType dtype, void* x, const float* cos, const float* sin, int64_t batch,
                 int64_t seq, int64_t heads, int64_t head_dim, bool inverse, cudaStream_t stream) {
    if (batch < 0 || seq < 0 || heads < 0 || head_dim < 0 || head_dim % 2 != 0)
        return cudaErrorInvalidValue;
    const int64_t half = head_dim / 2, pairs = batch * seq * heads * half;
    if (pairs == 0)
        return cudaSuccess;
    const float sign = inverse ? -1.0f : 1.0f;
    return launch_for(dtype, [&](auto type) {
        using T = decltype(type);
        rope_kernel<<<elementwise_blocks(pairs), kElementwiseThreads, 0, stream>>>(
            static_cast<T*>(x), cos, sin, pairs, seq, heads, half, sign);
    });
}

}  // namespace ladder::cuda
