#include "cuda/elementwise.cuh"
#include "cuda/kernels.hpp"

namespace ladder::cuda {

namespace {

__device__ float sigmoid(float v) {
    return 1.0f / (1.0f + __expf(-v));
}

template <typename T>
__global__ void swiglu_forward_kernel(const T* __restrict__ ab, T* __restrict__ out, int64_t rows,
                                      int64_t hidden) {
    const int64_t n = rows * hidden;
    for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
         i += int64_t{gridDim.x} * blockDim.x) {
        const int64_t row = i / hidden, j = i % hidden;
        const float a = to_float(ab[row * 2 * hidden + j]);
        const float b = to_float(ab[row * 2 * hidden + hidden + j]);
        out[i] = from_float<T>(a * sigmoid(a) * b);
    }
}

template <typename T>
__global__ void swiglu_backward_kernel(const T* __restrict__ ab, const T* __restrict__ dout,
                                       T* __restrict__ d_ab, int64_t rows, int64_t hidden) {
    const int64_t n = rows * hidden;
    for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
         i += int64_t{gridDim.x} * blockDim.x) {
        const int64_t row = i / hidden, j = i % hidden;
        const int64_t at_a = row * 2 * hidden + j, at_b = at_a + hidden;
        const float a = to_float(ab[at_a]), b = to_float(ab[at_b]), g = to_float(dout[i]);
        const float s = sigmoid(a);
        // silu'(a) = s (1 + a (1 - s))
        d_ab[at_a] = from_float<T>(g * b * s * (1.0f + a * (1.0f - s)));
        d_ab[at_b] = from_float<T>(g * a * s);
    }
}

}  // namespace

cudaError_t swiglu_forward(DType dtype, const void* ab, void* out, int64_t rows, int64_t hidden,
                           cudaStream_t stream) {
    if (rows < 0 || hidden < 0)
        return cudaErrorInvalidValue;
    if (rows * hidden == 0)
        return cudaSuccess;
    return launch_for(dtype, [&](auto type) {
        using T = decltype(type);
        swiglu_forward_kernel<<<elementwise_blocks(rows * hidden), kElementwiseThreads, 0,
                                stream>>>(static_cast<const T*>(ab), static_cast<T*>(out), rows,
                                          hidden);
    });
}

cudaError_t swiglu_backward(DType dtype, const void* ab, const void* dout, void* d_ab, int64_t rows,
                            int64_t hidden, cudaStream_t stream) {
    if (rows < 0 || hidden < 0)
        return cudaErrorInvalidValue;
    if (rows * hidden == 0)
        return cudaSuccess;
    return launch_for(dtype, [&](auto type) {
        using T = decltype(type);
        swiglu_backward_kernel<<<elementwise_blocks(rows * hidden), kElementwiseThreads, 0,
                                 stream>>>(static_cast<const T*>(ab), static_cast<const T*>(dout),
                                           static_cast<T*>(d_ab), rows, hidden);
    });
}

}  // namespace ladder::cuda
