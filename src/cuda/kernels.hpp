// ladder's CUDA kernels: raw pointers and a stream, no LibTorch, so that nvcc builds them
// wherever it is installed (a kernel that does not compile fails the build) and their tests
// run on any machine with a GPU. Wrappers for LibTorch tensors live with the model code,
// in CUDA builds of LibTorch only.
//
// Every function launches on `stream` and returns the launch's error (cudaSuccess, or what
// cudaGetLastError reported); none synchronizes.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ladder::cuda {

// Element types of activations and weights; arithmetic is fp32.
enum class DType { f32, bf16 };

// RMSNorm over the last dimension (OLMo-core's RMSNorm, olmo_core/nn/layer_norm.py):
// y[r, j] = w[j] * x[r, j] * rstd[r], rstd[r] = 1 / sqrt(mean_j x[r, j]^2 + eps).
// x, y: [rows, cols] of `dtype`, w: [cols] of `weight_dtype` (under autocast OLMo-core
// multiplies bf16 activations by its fp32 weight); rstd: [rows] fp32, kept for backward.
cudaError_t rms_norm_forward(DType dtype, DType weight_dtype, const void* x, const void* w, void* y,
                             float* rstd, int64_t rows, int64_t cols, float eps,
                             cudaStream_t stream);

// Its backward, from x and rstd alone: with n = x * rstd and h = dy * w,
// dx = rstd * (h - n * mean_j(h * n)) (of `dtype`), and dw[j] += sum_r dy[r, j] * n[r, j]
// (fp32 [cols], zeroed by the caller).
cudaError_t rms_norm_backward(DType dtype, DType weight_dtype, const void* x, const void* w,
                              const float* rstd, const void* dy, void* dx, float* dw, int64_t rows,
                              int64_t cols, cudaStream_t stream);

// SwiGLU on w1's and w3's outputs side by side (ab: [rows, 2 * hidden], a = the first
// half of a row, b = the second): out = silu(a) * b ([rows, hidden]).
cudaError_t swiglu_forward(DType dtype, const void* ab, void* out, int64_t rows, int64_t hidden,
                           cudaStream_t stream);

// Its backward: d_ab = [dout * b * silu'(a), dout * silu(a)], from ab alone.
cudaError_t swiglu_backward(DType dtype, const void* ab, const void* dout, void* d_ab, int64_t rows,
                            int64_t hidden, cudaStream_t stream);

// Rotary embedding in place, "rotate half" layout: for x [batch, seq, heads, head_dim] and
// each pair (j, j + head_dim / 2) at position t, (x1, x2) -> (x1 c - x2 s, x2 c + x1 s) with
// c = cos[t, j], s = sin[t, j] (fp32 tables [seq, head_dim / 2]). `inverse` rotates by the
// opposite angle: the backward pass.
cudaError_t rope(DType dtype, void* x, const float* cos, const float* sin, int64_t batch,
                 int64_t seq, int64_t heads, int64_t head_dim, bool inverse, cudaStream_t stream);

// Whether code that can use these kernels does (default on): off to compare against what they
// replace (trainer.fused_kernels). Process-wide.
bool kernels_enabled();
void set_kernels_enabled(bool enabled);

// One fp32 tensor of an AdamW update: parameter, gradient and the two moments, n elements each.
struct AdamWTensor {
    float* param;
    const float* grad;
    float* exp_avg;
    float* exp_avg_sq;
    int64_t n;
};

// The update's per-step factors, each one fp32 on the device, computed there from the skip
// decision f (0 or 1) and the step count, so that the update needs no host sync.
struct AdamWFactors {
    const float* decay;          // 1 - f lr weight_decay
    const float* avg_weight;     // f (1 - beta1)
    const float* avg_sq_decay;   // 1 - f (1 - beta2)
    const float* avg_sq_weight;  // f (1 - beta2)
    const float* bias_sq_sqrt;   // sqrt(1 - beta2^step)
    const float* step_size;      // f lr / (1 - beta1^step)
};

// SkipStepAdamW's update (optim/skip_step_adamw.cpp) of `count` tensors in a few launches,
// element by element the same fp32 operations in the same order as LibTorch's kernels do
// them one tensor and one operation at a time, so the results are bitwise equal:
//   p = p decay; m = lerp(m, g, avg_weight); v = v avg_sq_decay + g g avg_sq_weight;
//   p = p - m / (sqrt(v) / bias_sq_sqrt + eps) step_size.
// `tensors` is a host array.
cudaError_t adamw_update(const AdamWTensor* tensors, int64_t count, const AdamWFactors& factors,
                         float eps, cudaStream_t stream);

}  // namespace ladder::cuda
