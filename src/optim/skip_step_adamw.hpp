// OLMo-core's SkipStepAdamW (olmo_core/optim/adamw.py, SkipStepAdamW.step, with the skip rule
// of olmo_core/optim/skip_step_optimizer.py, SkipStepOptimizer): AdamW that skips a step whose loss
// or gradient norm is more than 6 standard deviations above the mean of the previous 128 steps. The
// decision stays on the device (a 0/1 factor), so no host sync is needed. On CUDA the update
// runs as one multi-tensor kernel (optim/fused_adamw.hpp), bitwise equal to its per-tensor ops.
#pragma once

#include <ATen/ATen.h>

#include <deque>
#include <vector>

namespace ladder::optim {

struct ParamGroup {
    std::vector<at::Tensor> params;
    double weight_decay = 0;
};

struct AdamWSettings {
    double beta1 = 0.9;
    double beta2 = 0.95;
    double eps = 1e-8;
    int64_t rolling_interval = 128;
    double sigma_factor = 6.0;
};

class SkipStepAdamW {
  public:
    SkipStepAdamW(std::vector<ParamGroup> groups, AdamWSettings settings);

    // One update at learning rate `lr` from the gradients in the parameters' .grad().
    // `loss` is the step's global mean CE loss and `grad_norm` the pre-clipping total norm
    // (0-dim tensors). Returns the step factor: 1 when the step was taken, 0 when skipped.
    at::Tensor step(double lr, const at::Tensor& loss, const at::Tensor& grad_norm);

    const std::vector<ParamGroup>& groups() const { return groups_; }

    // Everything a checkpoint must keep: moments per parameter (in group order), the
    // number of steps taken and the loss / grad-norm histories of the skip rule.
    struct State {
        std::vector<at::Tensor> exp_avg, exp_avg_sq;
        at::Tensor step;  // 0-dim fp32; skipped steps are not counted
        std::deque<at::Tensor> losses, grad_norms;
    };
    const State& state() const { return state_; }
    // Copies a saved state in (same parameters, same order); throws std::invalid_argument
    // when a tensor's shape differs.
    void load_state(const State& saved);

  private:
    at::Tensor step_factor(const at::Tensor& loss, const at::Tensor& grad_norm);
#ifdef LADDER_CUDA_FUSED
    // Whether every parameter steps through the fused CUDA kernel (optim/fused_adamw.hpp).
    bool fused_serves() const;
#endif

    std::vector<ParamGroup> groups_;
    AdamWSettings settings_;
    State state_;
};

}  // namespace ladder::optim
