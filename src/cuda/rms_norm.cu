#include "cuda/elementwise.cuh"
#include "cuda/kernels.hpp"

namespace ladder::cuda {

namespace {

constexpr int kThreads = 256;  // one block per row

// The sum of every thread's `value` over the block, returned to every thread.
__device__ float block_sum(float value) {
    __shared__ float warp_sums[kThreads / 32];
    for (int offset = 16; offset > 0; offset /= 2)
        value += __shfl_xor_sync(0xffffffff, value, offset);
    if (threadIdx.x % 32 == 0)
        warp_sums[threadIdx.x / 32] = value;
    __syncthreads();
    float total = 0;
    for (int w = 0; w < kThreads / 32; ++w)
        total += warp_sums[w];
    __syncthreads();  // before a later call writes warp_sums again
    return total;
}

template <typename T, typename W>
__global__ void rms_norm_forward_kernel(const T* __restrict__ x, const W* __restrict__ w,
                                        T* __restrict__ y, float* __restrict__ rstd, int64_t cols,
                                        float eps) {
    const int64_t row = blockIdx.x;
    const T* xr = x + row * cols;
    T* yr = y + row * cols;
    float squares = 0;
    for (int64_t j = threadIdx.x; j < cols; j += kThreads) {
        const float v = to_float(xr[j]);
        squares += v * v;
    }
    const float r = rsqrtf(block_sum(squares) / static_cast<float>(cols) + eps);
    if (threadIdx.x == 0)
        rstd[row] = r;
    for (int64_t j = threadIdx.x; j < cols; j += kThreads)
        yr[j] = from_float<T>(to_float(xr[j]) * r * to_float(w[j]));
}

template <typename T, typename W>
__global__ void rms_norm_backward_kernel(const T* __restrict__ x, const W* __restrict__ w,
                                         const float* __restrict__ rstd, const T* __restrict__ dy,
                                         T* __restrict__ dx, float* __restrict__ dw, int64_t cols) {
    const int64_t row = blockIdx.x;
    const T* xr = x + row * cols;
    const T* gr = dy + row * cols;
    T* dxr = dx + row * cols;
    const float r = rstd[row];
    float dot = 0;
    for (int64_t j = threadIdx.x; j < cols; j += kThreads)
        dot += to_float(gr[j]) * to_float(w[j]) * to_float(xr[j]) * r;
    const float mean = block_sum(dot) / static_cast<float>(cols);
    for (int64_t j = threadIdx.x; j < cols; j += kThreads) {
        const float n = to_float(xr[j]) * r, g = to_float(gr[j]);
        dxr[j] = from_float<T>(r * (g * to_float(w[j]) - n * mean));
        atomicAdd(dw + j, g * n);
    }
}

bool launchable(int64_t rows, int64_t cols) {
    return rows > 0 && cols > 0 && rows <= 0x7fffffff;
}

}  // namespace

cudaError_t rms_norm_forward(DType dtype, DType weight_dtype, const void* x, const void* w, void* y,
                             float* rstd, int64_t rows, int64_t cols, float eps,
                             cudaStream_t stream) {
    if (rows == 0)
        return cudaSuccess;
    if (!launchable(rows, cols))
        return cudaErrorInvalidValue;
    return launch_for(dtype, weight_dtype, [&](auto type, auto weight_type) {
        using T = decltype(type);
        using W = decltype(weight_type);
        rms_norm_forward_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
            static_cast<const T*>(x), static_cast<const W*>(w), static_cast<T*>(y), rstd, cols,
            eps);
    });
}

cudaError_t rms_norm_backward(DType dtype, DType weight_dtype, const void* x, const void* w,
                              const float* rstd, const void* dy, void* dx, float* dw, int64_t rows,
                              int64_t cols, cudaStream_t stream) {
    if (rows == 0)
        return cudaSuccess;
    if (!launchable(rows, cols))
        return cudaErrorInvalidValue;
    return launch_for(dtype, weight_dtype, [&](auto type, auto weight_type) {
        using T = decltype(type);
        using W = decltype(weight_type);
        rms_norm_backward_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
            static_cast<const T*>(x), static_cast<const W*>(w), rstd, static_cast<const T*>(dy),
            static_cast<T*>(dx), dw, cols);
    });
}

}  // namespace ladder::cuda
