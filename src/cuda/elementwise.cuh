// What the kernels share: fp32 arithmetic on fp32 or bf16 storage.
#pragma once

#include <cuda_bf16.h>

#include "cuda/kernels.hpp"

namespace ladder::cuda {

__device__ inline float to_float(float v) {
    return v;
}
__device__ inline float to_float(__nv_bfloat16 v) {
    return __bfloat162float(v);
}

template <typename T>
__device__ T from_float(float v);
template <>
__device__ inline float from_float<float>(float v) {
    return v;
}
template <>
__device__ inline __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
    return __float2bfloat16(v);  // round to nearest even, as LibTorch's casts do
}

// Grid-stride loops over n elements: blocks of 256 threads, enough blocks to cover n (at
// most 65,535 of them; each thread then takes several).
constexpr int kElementwiseThreads = 256;
inline unsigned elementwise_blocks(long long n) {
    const long long blocks = (n + kElementwiseThreads - 1) / kElementwiseThreads;
    return static_cast<unsigned>(blocks < 65535 ? blocks : 65535);
}

// Calls `launch` with a value of `dtype`'s storage type (float or __nv_bfloat16), for it to
// launch its kernel for that type, and returns the launch's error.
template <typename Launch>
cudaError_t launch_for(DType dtype, Launch&& launch) {
    if (dtype == DType::f32)
        launch(float{});
    else
        launch(__nv_bfloat16{});
    return cudaGetLastError();
}

// The same for two tensors of independent dtypes: `launch` gets a value of each's type.
template <typename Launch>
cudaError_t launch_for(DType first, DType second, Launch&& launch) {
    return launch_for(first, [&](auto a) {
        if (second == DType::f32)
            launch(a, float{});
        else
            launch(a, __nv_bfloat16{});
    });
}

}  // namespace ladder::cuda
