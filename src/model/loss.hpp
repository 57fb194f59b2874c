// Language-modelling loss: cross-entropy plus z-loss on fp32 logits (OLMo-core's
// olmo_core/nn/functional/cross_entropy_loss.py and TransformerTrainModule's loss normalisation).
#pragma once

#include <ATen/ATen.h>

#include "model/loss_chunk.hpp"

namespace ladder::model {

constexpr int64_t kIgnoreIndex = -100;

// Labels for next-token prediction as OLMo-core's get_labels (olmo_core/data/utils.py): tokens
// shifted left by one, the last position set to kIgnoreIndex. No token id is special: padding
// is masked by each instance's label mask, never by value, so an EOS that is also the pad id
// is learned and scored. tokens: [B, T] int64 -> [B, T] int64.
at::Tensor next_token_labels(const at::Tensor& tokens);

// The same for instances whose first lengths[i] positions are their own (their label mask)
// and the rest padding: a position is labelled when the token it predicts is the instance's.
// lengths: [B] int64 on tokens' device.
at::Tensor next_token_labels(const at::Tensor& tokens, const at::Tensor& lengths);

// Sums over the labelled positions (0-dim fp32 tensors), so that micro-batches of one
// rank batch add up before dividing by its label count.
struct LossSums {
    at::Tensor ce;  // sum of -log p(label)
    at::Tensor z;   // sum of logsumexp(logits)^2 (unscaled)
};

// logits: [B, T, V] (any float dtype; computed in fp32), labels: [B, T]. Differentiable;
// no fp32 copy of all logits is kept for the backward pass.
LossSums loss_sums(const at::Tensor& logits, const at::Tensor& labels,
                   int64_t chunk_elements = kLossChunkElements);

}  // namespace ladder::model
