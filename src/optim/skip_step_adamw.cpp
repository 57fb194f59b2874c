#include "optim/skip_step_adamw.hpp"

#include <c10/core/GradMode.h>

#include <cmath>
#include <stdexcept>
#include <string>

#ifdef LADDER_CUDA_FUSED
#include "optim/fused_adamw.hpp"
#endif

namespace ladder::optim {

SkipStepAdamW::SkipStepAdamW(std::vector<ParamGroup> groups, AdamWSettings settings)
    : groups_(std::move(groups)), settings_(settings) {
    at::Tensor first;
    for (const auto& group : groups_) {
        for (const auto& p : group.params) {
            state_.exp_avg.push_back(at::zeros_like(p));
            state_.exp_avg_sq.push_back(at::zeros_like(p));
            if (!first.defined())
                first = p;
        }
    }
    state_.step = at::zeros({}, first.options().dtype(at::kFloat));
}

// Kept unless there is enough history and the loss or the norm is an outlier against
// the previous steps (current step excluded; unbiased std, as torch.std_mean).
at::Tensor SkipStepAdamW::step_factor(const at::Tensor& loss, const at::Tensor& grad_norm) {
    const size_t needed = std::max<size_t>(2, settings_.rolling_interval / 2);
    at::Tensor factor = at::ones({}, state_.step.options());
    if (state_.losses.size() >= needed) {
        const auto within = [&](const std::deque<at::Tensor>& history, const at::Tensor& value) {
            const at::Tensor past =
                at::stack(std::vector<at::Tensor>(history.begin(), history.end()));
            const at::Tensor mean = past.mean();
            const at::Tensor std = past.std(/*unbiased=*/true);
            return (value.to(at::kFloat) - mean) <= settings_.sigma_factor * std;
        };
        factor =
            (within(state_.losses, loss) & within(state_.grad_norms, grad_norm)).to(at::kFloat);
    }
    const auto remember = [&](std::deque<at::Tensor>& history, const at::Tensor& value) {
        history.push_back(value.detach().to(at::kFloat));
        if (static_cast<int64_t>(history.size()) > settings_.rolling_interval)
            history.pop_front();
    };
    remember(state_.losses, loss);
    remember(state_.grad_norms, grad_norm);
    return factor;
}

void SkipStepAdamW::load_state(const State& saved) {
    if (saved.exp_avg.size() != state_.exp_avg.size()) {
        throw std::invalid_argument("optimizer state has " + std::to_string(saved.exp_avg.size()) +
                                    " parameters, the model " +
                                    std::to_string(state_.exp_avg.size()));
    }
    c10::NoGradGuard no_grad;
    for (size_t i = 0; i < saved.exp_avg.size(); ++i) {
        if (!saved.exp_avg[i].sizes().equals(state_.exp_avg[i].sizes()) ||
            !saved.exp_avg_sq[i].sizes().equals(state_.exp_avg_sq[i].sizes())) {
            throw std::invalid_argument("optimizer state of parameter " + std::to_string(i) +
                                        " has another shape");
        }
        state_.exp_avg[i].copy_(saved.exp_avg[i]);
        state_.exp_avg_sq[i].copy_(saved.exp_avg_sq[i]);
    }
    state_.step.copy_(saved.step);
    state_.losses.clear();
    state_.grad_norms.clear();
    for (const auto& t : saved.losses)
        state_.losses.push_back(t.to(state_.step.device()));
    for (const auto& t : saved.grad_norms)
        state_.grad_norms.push_back(t.to(state_.step.device()));
}

at::Tensor SkipStepAdamW::step(double lr, const at::Tensor& loss, const at::Tensor& grad_norm) {
    c10::NoGradGuard no_grad;
    const at::Tensor f = step_factor(loss.reshape({}), grad_norm.reshape({}));
    const double b1 = settings_.beta1, b2 = settings_.beta2;
    state_.step.add_(f);
    // Bias corrections at the updated count; a skipped step changes nothing, so the
    // values used then do not matter.
    const at::Tensor bc1 = 1 - at::pow(b1, state_.step);
    const at::Tensor bc2_sqrt = at::sqrt(1 - at::pow(b2, state_.step));
    const at::Tensor step_size = f * lr / bc1;
#ifdef LADDER_CUDA_FUSED
    if (fused_serves()) {
        size_t first = 0;
        for (const auto& group : groups_) {
            const size_t n = group.params.size();
            const auto slice = [&](const std::vector<at::Tensor>& all) {
                return std::vector<at::Tensor>(all.begin() + first, all.begin() + first + n);
            };
            // The same factors, by the same operations, as the loop below computes them.
            const FusedAdamWFactors factors{1 - f * (lr * group.weight_decay),
                                            f * (1 - b1),
                                            1 - f * (1 - b2),
                                            f * (1 - b2),
                                            bc2_sqrt,
                                            step_size};
            fused_adamw_update(group.params, slice(state_.exp_avg), slice(state_.exp_avg_sq),
                               factors, settings_.eps);
            first += n;
        }
        return f;
    }
#endif
    size_t i = 0;
    for (auto& group : groups_) {
        for (auto& p : group.params) {
            at::Tensor& m = state_.exp_avg[i];
            at::Tensor& v = state_.exp_avg_sq[i];
            ++i;
            const at::Tensor& g = p.grad();
            if (!g.defined())
                continue;
            // 0-dim factors in the parameter's dtype (ops mixing dtypes need matching ones).
            const at::Tensor fp = f.to(p.scalar_type());
            p.mul_(1 - fp * (lr * group.weight_decay));
            m.lerp_(g, fp * (1 - b1));
            v.mul_(1 - fp * (1 - b2)).add_(g * g * (fp * (1 - b2)));
            const at::Tensor denom = (v.sqrt() / bc2_sqrt.to(p.scalar_type())).add_(settings_.eps);
            p.sub_(m / denom * step_size.to(p.scalar_type()));
        }
    }
    return f;
}

#ifdef LADDER_CUDA_FUSED
bool SkipStepAdamW::fused_serves() const {
    size_t i = 0;
    for (const auto& group : groups_) {
        for (const auto& p : group.params) {
            if (!fused_adamw_serves(p, state_.exp_avg[i], state_.exp_avg_sq[i]))
                return false;
            ++i;
        }
    }
    return i > 0;
}
#endif

}  // namespace ladder::optim
