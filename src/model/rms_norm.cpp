#include "model/rms_norm.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

namespace ladder::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct RMSNormFunction : torch::autograd::Function<RMSNormFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                              double eps) {
        const at::Tensor xf = x.to(at::kFloat);
        const at::Tensor rstd = at::rsqrt(xf.pow(2).mean(-1, true) + eps);  // [..., 1]
        ctx->save_for_backward({x, weight, rstd});
        return (xf * rstd * weight.to(at::kFloat)).to(x.scalar_type());
    }

    // With n = x r (r = 1/rms) and h = dy * w: dx = r (h - n mean(h n)), dw = sum(dy n).
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        const at::Tensor &x = saved[0], &weight = saved[1], &rstd = saved[2];
        const at::Tensor n = x.to(at::kFloat) * rstd;
        const at::Tensor dy = grads[0].to(at::kFloat);
        const at::Tensor h = dy * weight.to(at::kFloat);
        const at::Tensor dx = rstd * (h - n * (h * n).mean(-1, true));
        const at::Tensor dw = (dy * n).reshape({-1, x.size(-1)}).sum(0);
        return {dx.to(x.scalar_type()), dw.to(weight.scalar_type()), at::Tensor()};
    }
};

}  // namespace

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
    return RMSNormFunction::apply(x, weight, eps);
}

}  // namespace ladder::model
