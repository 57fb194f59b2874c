#include "model/loss.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "model/cpu_fused.hpp"
#include "model/torch_compat.hpp"

namespace ladder::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// fp32 logits on the CPU take ladder's row kernels (cpu_fused.hpp): one pass over each row,
// while it is in cache, where LibTorch's logsumexp and softmax make several over the block.
bool serves_row_kernels(const at::Tensor& logits) {
    return cpu_kernels_serve(logits) && logits.scalar_type() == at::kFloat &&
           logits.is_contiguous();
}

// CE and z-loss sums over [N, V] logits, in fp32 a block of rows at a time. Backward
// recomputes each block's softmax from the logits instead of autograd keeping an fp32 copy
// of all of them plus full-size temporaries: at 32k tokens and a 100k vocabulary that is
// 13 GB kept and ~40 GB at the peak. Per row, the arithmetic is what autograd would do.
struct ChunkedLogitLoss : torch::autograd::Function<ChunkedLogitLoss> {
    static variable_list forward(AutogradContext* ctx, const at::Tensor& logits,
                                 const at::Tensor& labels, int64_t chunk_elements) {
        const int64_t n = logits.size(0);
        const bool row_kernels = serves_row_kernels(logits);
        const int64_t step = std::max<int64_t>(1, chunk_elements / logits.size(1));
        const at::Tensor index = labels.clamp_min(0).unsqueeze(1);  // [N, 1]
        at::Tensor lse = at::empty({n}, logits.options().dtype(at::kFloat));
        at::Tensor target = at::empty_like(lse);
        for (int64_t start = 0; start < n; start += step) {
            const int64_t rows = std::min(step, n - start);
            const at::Tensor x = logits.narrow(0, start, rows).to(at::kFloat).contiguous();
            at::Tensor block_lse = lse.narrow(0, start, rows);
            if (row_kernels)
                cpu_logsumexp_rows(x, block_lse);
            else
                block_lse.copy_(at::logsumexp(x, -1));
            target.narrow(0, start, rows)
                .copy_(x.gather(1, index.narrow(0, start, rows)).squeeze(1));
        }
        const at::Tensor mask = (labels != kIgnoreIndex).to(at::kFloat);
        ctx->save_for_backward({logits, index, lse, mask});
        ctx->saved_data["chunk_elements"] = chunk_elements;
        return {((lse - target) * mask).sum(), (lse.pow(2) * mask).sum()};
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        const at::Tensor &logits = saved[0], &index = saved[1], &lse = saved[2], &mask = saved[3];
        const bool row_kernels = serves_row_kernels(logits);
        const int64_t step =
            std::max<int64_t>(1, ctx->saved_data["chunk_elements"].toInt() / logits.size(1));
        // d/dx_j of g_ce·(lse − x_label) + g_z·lse², on a labelled row:
        // softmax_j·(g_ce + 2·g_z·lse) − g_ce·[j = label].
        const at::Tensor row_scale = (grads[0] + 2 * grads[1] * lse) * mask;  // [N]
        const at::Tensor label_grad = (-grads[0] * mask).unsqueeze(1);        // [N, 1]
        at::Tensor grad = at::empty_like(logits);
        for (int64_t start = 0; start < logits.size(0); start += step) {
            const int64_t rows = std::min(step, logits.size(0) - start);
            const at::Tensor x = logits.narrow(0, start, rows);
            at::Tensor g = grad.narrow(0, start, rows);
            const at::Tensor scale = row_scale.narrow(0, start, rows);
            const at::Tensor labels = index.narrow(0, start, rows);
            if (row_kernels) {
                cpu_scaled_softmax_rows(x, lse.narrow(0, start, rows), scale, g);
                g.scatter_add_(1, labels, label_grad.narrow(0, start, rows));
                continue;
            }
            // Other fp32 logits get their softmax written straight into the gradient; others
            // go through an fp32 block.
            at::Tensor probs = x.scalar_type() == at::kFloat
                                   ? at::_softmax_out(g, x, 1, false)
                                   : at::_softmax(x.to(at::kFloat), 1, false);
            probs.mul_(scale.unsqueeze(1));
            probs.scatter_add_(1, labels, label_grad.narrow(0, start, rows));
            if (!probs.is_same(g))
                g.copy_(probs);
        }
        return {grad, at::Tensor(), at::Tensor()};
    }
};

}  // namespace

at::Tensor next_token_labels(const at::Tensor& tokens) {
    at::Tensor labels = at::full_like(tokens, kIgnoreIndex);
    const int64_t T = tokens.size(1);
    labels.narrow(1, 0, T - 1).copy_(tokens.narrow(1, 1, T - 1));
    return labels;
}

at::Tensor next_token_labels(const at::Tensor& tokens, const at::Tensor& lengths) {
    const at::Tensor positions = at::arange(tokens.size(1), lengths.options()).unsqueeze(0);
    return next_token_labels(tokens).masked_fill_(positions + 1 >= lengths.unsqueeze(1),
                                                  kIgnoreIndex);
}

LossSums loss_sums(const at::Tensor& logits, const at::Tensor& labels, int64_t chunk_elements) {
    const int64_t vocab = logits.size(-1);
    const variable_list sums =
        ChunkedLogitLoss::apply(logits.reshape({-1, vocab}), labels.reshape({-1}), chunk_elements);
    return {sums[0], sums[1]};
}

}  // namespace ladder::model
