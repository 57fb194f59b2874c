#include "optim/fused_adamw.hpp"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <stdexcept>
#include <string>

#include "cuda/kernels.hpp"

namespace ladder::optim {

namespace {

bool on_cuda_fp32(const at::Tensor& t) {
    return t.is_cuda() && t.scalar_type() == at::kFloat && t.is_contiguous();
}

const float* device_value(const at::Tensor& t) {
    return t.data_ptr<float>();
}

}  // namespace

bool fused_adamw_serves(const at::Tensor& param, const at::Tensor& exp_avg,
                        const at::Tensor& exp_avg_sq) {
    const at::Tensor& grad = param.grad();
    return cuda::kernels_enabled() && on_cuda_fp32(param) && on_cuda_fp32(exp_avg) &&
           on_cuda_fp32(exp_avg_sq) && (!grad.defined() || on_cuda_fp32(grad));
}

void fused_adamw_update(const std::vector<at::Tensor>& params,
                        const std::vector<at::Tensor>& exp_avg,
                        const std::vector<at::Tensor>& exp_avg_sq, const FusedAdamWFactors& factors,
                        double eps) {
    std::vector<cuda::AdamWTensor> tensors;
    for (size_t i = 0; i < params.size(); ++i) {
        const at::Tensor& grad = params[i].grad();
        if (!grad.defined())
            continue;
        tensors.push_back({params[i].data_ptr<float>(), grad.data_ptr<float>(),
                           exp_avg[i].data_ptr<float>(), exp_avg_sq[i].data_ptr<float>(),
                           params[i].numel()});
    }
    if (tensors.empty())
        return;
    const c10::cuda::CUDAGuard guard(params.front().device());
    const cuda::AdamWFactors device_factors{
        device_value(factors.decay),        device_value(factors.avg_weight),
        device_value(factors.avg_sq_decay), device_value(factors.avg_sq_weight),
        device_value(factors.bias_sq_sqrt), device_value(factors.step_size)};
    const cudaError_t status =
        cuda::adamw_update(tensors.data(), static_cast<int64_t>(tensors.size()), device_factors,
                           static_cast<float>(eps), c10::cuda::getCurrentCUDAStream().stream());
    if (status != cudaSuccess)
        throw std::runtime_error(std::string("adamw_update: ") + cudaGetErrorString(status));
}

}  // namespace ladder::optim
