// RMSNorm, rotary embedding and SwiGLU as single-pass CPU kernels with hand-written
// gradients, SwiGLU over one fused product; and the loss's passes over the logits.
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

// ab: [..., 2 * hidden], the products w1 x and w3 x side by side (one matrix product for
// both). Returns silu(a) * b, [..., hidden]. Differentiable in ab; its gradient comes back
// side by side too, so that one product serves both projections backward as well. In float
// its sigmoid takes vector_exp (cpu_vector_math.hpp): within float rounding of the exact one.
at::Tensor cpu_swiglu(const at::Tensor& ab);

// The loss's passes over a block of logits, x: [rows, V] contiguous float on the CPU, one
// row at a time while it is in cache. lse: [rows] gets log sum_j e^(x_ij); out: [rows, V]
// gets e^(x_ij - lse_i) scale_i (the softmax times a row's factor).
void cpu_logsumexp_rows(const at::Tensor& x, at::Tensor& lse);
void cpu_scaled_softmax_rows(const at::Tensor& x, const at::Tensor& lse, const at::Tensor& scale,
                             at::Tensor& out);

}  // namespace ladder::model
