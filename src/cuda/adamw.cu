#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>

#include "cuda/elementwise.cuh"
#include "cuda/kernels.hpp"

namespace ladder::cuda {

namespace {

std::atomic<bool> enabled{true};

// Tensors per launch, passed by value in the kernel's parameters (4 KiB at most).
constexpr int kTensorsPerLaunch = 32;

struct AdamWBatch {
    AdamWTensor tensors[kTensorsPerLaunch];
};

// LibTorch's lerp (ATen/native/Lerp.h, lerp) as nvcc compiles it for its CUDA kernel: the
// multiply-add contracted into one fma.
__device__ float lerp(float self, float end, float weight) {
    const float diff = __fsub_rn(end, self);
    return fabsf(weight) < 0.5f ? fmaf(weight, diff, self)
                                : fmaf(-diff, __fsub_rn(1.0f, weight), end);
}

// blockIdx.y picks the tensor; blocks along x stride over its elements. The explicit
// round-to-nearest intrinsics keep nvcc from contracting what LibTorch runs as separate
// kernels.
__global__ void adamw_kernel(AdamWBatch batch, AdamWFactors factors, float eps) {
    const AdamWTensor t = batch.tensors[blockIdx.y];
    const float decay = *factors.decay, avg_weight = *factors.avg_weight;
    const float avg_sq_decay = *factors.avg_sq_decay, avg_sq_weight = *factors.avg_sq_weight;
    const float bias_sq_sqrt = *factors.bias_sq_sqrt, step_size = *factors.step_size;
    for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < t.n;
         i += int64_t{gridDim.x} * blockDim.x) {
        const float g = t.grad[i];
        const float p = __fmul_rn(t.param[i], decay);
        const float m = lerp(t.exp_avg[i], g, avg_weight);
        const float v = __fadd_rn(__fmul_rn(t.exp_avg_sq[i], avg_sq_decay),
                                  __fmul_rn(__fmul_rn(g, g), avg_sq_weight));
        const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(v), bias_sq_sqrt), eps);
        t.param[i] = __fsub_rn(p, __fmul_rn(__fdiv_rn(m, denom), step_size));
        t.exp_avg[i] = m;
        t.exp_avg_sq[i] = v;
    }
}

}  // namespace

bool kernels_enabled() {
    return enabled.load(std::memory_order_relaxed);
}

void set_kernels_enabled(bool on) {
    enabled.store(on, std::memory_order_relaxed);
}

cudaError_t adamw_update(const AdamWTensor* tensors, int64_t count, const AdamWFactors& factors,
                         float eps, cudaStream_t stream) {
    for (int64_t first = 0; first < count; first += kTensorsPerLaunch) {
        const int64_t in_launch = std::min<int64_t>(kTensorsPerLaunch, count - first);
        AdamWBatch batch{};
        int64_t largest = 0;
        for (int64_t k = 0; k < in_launch; ++k) {
            if (tensors[first + k].n < 0)
                return cudaErrorInvalidValue;
            batch.tensors[k] = tensors[first + k];
            largest = std::max(largest, batch.tensors[k].n);
        }
        if (largest == 0)
            continue;
        const dim3 grid(elementwise_blocks(largest), static_cast<unsigned>(in_launch));
        adamw_kernel<<<grid, kElementwiseThreads, 0, stream>>>(batch, factors, eps);
        if (const cudaError_t status = cudaGetLastError(); status != cudaSuccess)
            return status;
    }
    return cudaSuccess;
}

}  // namespace ladder::cuda
