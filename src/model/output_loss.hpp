// The LM head's output projection and the loss together, a block of rows at a time, never
// holding [tokens, vocab] logits (for 190M at its planned micro-batch those are ~13 GB in
// bf16, twice that with their gradient). The forward pass computes, per block, the logits,
// the CE and z-loss sums and the gradient of CE + z_multiplier * z with respect to the
// hidden states and the head's weight; backward only scales those by the incoming gradient.
// This is Liger-Kernel's fused linear cross-entropy
// (liger_kernel/ops/fused_linear_cross_entropy.py, fused_linear_cross_entropy_forward).
#pragma once

#include <ATen/ATen.h>

#include "model/loss_chunk.hpp"

namespace ladder::model {

struct OutputLoss {
    at::Tensor loss;   // 0-dim fp32: CE + z_multiplier * z summed over labelled rows
    at::Tensor ce, z;  // 0-dim fp32 sums of -log p(label) and logsumexp^2, not differentiable
};

// hidden: [N, d] (the final norm's output), weight: [V, d] (the head's), labels: [N] with
// kIgnoreIndex for rows without one. Gradients are computed in the forward pass only when
// hidden or weight requires them.
OutputLoss output_loss(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& labels,
                       double z_multiplier, int64_t chunk_elements = kLossChunkElements);

}  // namespace ladder::model
