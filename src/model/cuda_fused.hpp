// RMSNorm, rotary embedding and SwiGLU on CUDA tensors through ladder's kernels (src/cuda),
// each one autograd function with its hand-written backward: one pass over the activations
// where LibTorch's ops spelled out take 6 to 14 (RMSNorm), 10 (rotary) or 4 (SwiGLU), each
// with a fresh temporary. The math is the spelled-out one (model/rms_norm.hpp, the rotary
// and SwiGLU forms in model/transformer.cpp); tests/cuda/test_fused_ops.cpp holds them to it.
//
// Built only against a CUDA LibTorch (LADDER_CUDA_FUSED); other builds compile-check it.
#pragma once

#include <ATen/Tensor.h>

namespace ladder::model {

// Whether the fused kernels serve a tensor: on in this process (cuda::kernels_enabled,
// trainer.fused_kernels), a CUDA tensor, fp32 or bf16.
bool cuda_kernels_serve(const at::Tensor& x);

// x: [..., d], weight: [d] (cast to x's dtype where it differs) -> weight * x * rsqrt(mean(x^2)
// + eps) over the last dimension, in x's dtype, computed in fp32. Differentiable in both.
at::Tensor cuda_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// x: [B, T, heads, hd]; cos, sin: fp32 [T, hd / 2] contiguous, on x's device. Returns x
// rotated by position ("rotate half" layout), in x's dtype. Differentiable in x.
at::Tensor cuda_rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// ab: [..., 2 * hidden], the products w1 x and w3 x side by side. Returns silu(a) * b,
// [..., hidden]; its gradient comes back side by side. Differentiable in ab.
at::Tensor cuda_swiglu(const at::Tensor& ab);

}  // namespace ladder::model
