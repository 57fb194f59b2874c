// Causal attention on the CPU for LibTorch 1.x, which has no fused attention: a custom
// autograd function that makes a third fewer multiply-adds than the spelled-out math, at
// matmul speed, keeping only the probabilities for the backward pass.
#pragma once

#include <ATen/ATen.h>

namespace ladder::model {

// q: [B, T, H, hd]; k, v: [B, T, KV, hd] with H a multiple of KV (query head h reads key/value
// head h / (H / KV)); float or double, on the CPU. A query at position i sees the keys at
// j <= i and, when window > 0, only those with i - j < window. Returns [B, T, H, hd]:
// softmax(q k^T / sqrt(hd)) v per head over the keys it sees. Differentiable in q, k and v.
at::Tensor cpu_causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                int64_t window);

}  // namespace ladder::model
