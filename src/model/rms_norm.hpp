// RMSNorm as one autograd function for tensors ladder's CPU kernels do not serve (CUDA,
// bf16): computed in fp32 as OLMo-core's RMSNorm does (olmo_core/nn/layer_norm.py), but
// keeping only its input and the per-row 1/rms for backward, which recomputes the rest.
// Left to autograd, the same ops keep an fp32 copy of the input and the fp32 normalized
// rows: on a bf16 input, 8 bytes per element instead of 2.
#pragma once

#include <ATen/Tensor.h>

namespace ladder::model {

// x: [..., D] (any float dtype), weight: [D] -> weight * x / sqrt(mean(x^2) + eps) in x's
// dtype, computed in fp32.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

}  // namespace ladder::model
