#pragma once

#include <ATen/ATen.h>

namespace ladder::model {

// x W^T without a bias, as at::linear: x [..., in], weight [out, in], both float or both
// double, on the CPU. Returns [..., out]; differentiable in x and weight.
at::Tensor cpu_linear(const at::Tensor& x, const at::Tensor& weight);

}  // namespace ladder::model
