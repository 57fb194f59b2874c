#include "model/loss.hpp"

namespace ladder::model {

at::Tensor next_token_labels(const at::Tensor& tokens, int64_t pad_token_id) {
    at::Tensor labels = at::full_like(tokens, kIgnoreIndex);
    const int64_t T = tokens.size(1);
    labels.narrow(1, 0, T - 1).copy_(tokens.narrow(1, 1, T - 1));
    return labels.masked_fill_(labels == pad_token_id, kIgnoreIndex);
}

LossSums loss_sums(const at::Tensor& logits, const at::Tensor& labels) {
    const at::Tensor logits32 = logits.to(at::kFloat);
    const at::Tensor labelled = labels != kIgnoreIndex;  // [B, T]
    const at::Tensor lse = at::logsumexp(logits32, -1);  // [B, T]
    const at::Tensor target =
        logits32.gather(-1, labels.clamp_min(0).unsqueeze(-1)).squeeze(-1);  // [B, T]
    const at::Tensor mask = labelled.to(at::kFloat);
    return {((lse - target) * mask).sum(), (lse.pow(2) * mask).sum()};
}

}  // namespace ladder::model
