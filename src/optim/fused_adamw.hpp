// SkipStepAdamW's update on CUDA through ladder's multi-tensor kernel (cuda/kernels.hpp,
// adamw_update): a few launches for the whole model where LibTorch's ops take ten per
// parameter, bitwise equal to them in fp32. Built only against a CUDA LibTorch
// (LADDER_CUDA_FUSED); other builds compile-check it.
#pragma once

#include <ATen/Tensor.h>

#include <vector>

namespace ladder::optim {

// The per-step factors of the update (cuda::AdamWFactors), 0-dim fp32 tensors on the device.
struct FusedAdamWFactors {
    at::Tensor decay, avg_weight, avg_sq_decay, avg_sq_weight, bias_sq_sqrt, step_size;
};

// Whether the kernel serves a parameter and its moments: kernels enabled, all fp32,
// contiguous and on CUDA.
bool fused_adamw_serves(const at::Tensor& param, const at::Tensor& exp_avg,
                        const at::Tensor& exp_avg_sq);

// Updates `params` (those with a gradient) and their moments in place.
void fused_adamw_update(const std::vector<at::Tensor>& params,
                        const std::vector<at::Tensor>& exp_avg,
                        const std::vector<at::Tensor>& exp_avg_sq, const FusedAdamWFactors& factors,
                        double eps);

}  // namespace ladder::optim
