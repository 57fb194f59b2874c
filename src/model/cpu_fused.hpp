// RMSNorm and rotary embedding as single-pass CPU kernels with hand-written gradients.
// Spelled out in LibTorch ops, an RMSNorm is 6 kernels forward and ~14 backward, each a pass
// over the activations with a fresh temporary, and a rotary embedding 10; on the CPU those
// passes, not the arithmetic, are what they cost. The math is the spelled-out one; tests
// hold the two to each other.
#pragma once

#include <ATen/ATen.h>

namespace ladder::model {

// x: [..., d], weight: [d]; float or double on the CPU. Returns x * rsqrt(mean(x^2) + eps)
// * weight over the last dimension. Differentiable in x and weight.
at::Tensor cpu_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// x: [B, T, heads, hd]; cos, sin: [T, hd] (the "rotate half" tables). Returns
// x * cos + rotate_half(x) * sin, rotate_half(x) = [-x[hd/2:], x[:hd/2]]. Differentiable in x.
at::Tensor cpu_rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

}  // namespace ladder::model
