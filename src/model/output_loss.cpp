#include "model/output_loss.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "model/loss.hpp"
#include "model/torch_compat.hpp"

namespace ladder::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct FusedOutputLoss : torch::autograd::Function<FusedOutputLoss> {
    static variable_list forward(AutogradContext* ctx, const at::Tensor& hidden,
                                 const at::Tensor& weight, const at::Tensor& labels,
                                 double z_multiplier, int64_t chunk_elements) {
        const int64_t n = hidden.size(0), vocab = weight.size(0);
        const bool wants_grads = hidden.requires_grad() || weight.requires_grad();
        const auto fp32 = hidden.options().dtype(at::kFloat);
        at::Tensor ce = at::zeros({}, fp32), z = at::zeros({}, fp32);
        at::Tensor grad_hidden, grad_weight;
        if (wants_grads) {
            grad_hidden = at::empty(hidden.sizes(), fp32);
            grad_weight = at::zeros(weight.sizes(), fp32);
        }
        const int64_t step = std::max<int64_t>(1, chunk_elements / vocab);
        for (int64_t start = 0; start < n; start += step) {
            const int64_t rows = std::min(step, n - start);
            const at::Tensor h = hidden.narrow(0, start, rows);
            const at::Tensor label = labels.narrow(0, start, rows);
            at::Tensor logits = project(h, weight).to(at::kFloat).contiguous();  // [rows, V]
            const at::Tensor index = label.clamp_min(0).unsqueeze(1);
            const at::Tensor mask = (label != kIgnoreIndex).to(at::kFloat);
            const at::Tensor lse = at::logsumexp(logits, -1);
            ce += ((lse - logits.gather(1, index).squeeze(1)) * mask).sum();
            z += (lse.pow(2) * mask).sum();
            if (!wants_grads)
                continue;
            // d/dlogits of (lse - logit[label]) + m lse^2 on a labelled row:
            // softmax (1 + 2 m lse) - onehot(label). Written over the logits.
            at::Tensor g = logits.sub_(lse.unsqueeze(1)).exp_();
            g.mul_(((1 + 2 * z_multiplier * lse) * mask).unsqueeze(1));
            g.scatter_add_(1, index, (-mask).unsqueeze(1));
            const at::Tensor gw = g.to(weight.scalar_type());
            grad_hidden.narrow(0, start, rows).copy_(at::matmul(gw, weight));  // [rows, d]
            grad_weight.add_(at::matmul(gw.t(), h.to(weight.scalar_type())));  // [V, d]
        }
        ctx->save_for_backward({grad_hidden, grad_weight});
        ctx->saved_data["hidden_dtype"] = static_cast<int64_t>(hidden.scalar_type());
        ctx->saved_data["weight_dtype"] = static_cast<int64_t>(weight.scalar_type());
        at::Tensor loss = ce + z_multiplier * z;
        ctx->mark_non_differentiable({ce, z});
        return {loss, ce, z};
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        const auto dtype = [&](const char* key) {
            return static_cast<at::ScalarType>(ctx->saved_data[key].toInt());
        };
        at::Tensor grad_hidden, grad_weight;
        if (saved[0].defined())
            grad_hidden = (saved[0] * grads[0]).to(dtype("hidden_dtype"));
        if (saved[1].defined())
            grad_weight = (saved[1] * grads[0]).to(dtype("weight_dtype"));
        return {grad_hidden, grad_weight, at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

}  // namespace

OutputLoss output_loss(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& labels,
                       double z_multiplier, int64_t chunk_elements) {
    const variable_list out =
        FusedOutputLoss::apply(hidden, weight, labels, z_multiplier, chunk_elements);
    return {out[0], out[1], out[2]};
}

}  // namespace ladder::model
