// Activation checkpointing of one block: its forward runs without keeping activations for
// backward, only its input; backward reruns it with autograd on and backpropagates through
// the rerun, which adds the parameters' gradients and returns the input's. This is the
// reentrant variant of PyTorch's torch.utils.checkpoint (torch/utils/checkpoint.py,
// CheckpointFunction), which OLMo-core's checkpoint_wrapper also builds on. The model has no
// dropout, so there is no RNG state to restore; the forward's CUDA autocast state is.
#pragma once

#include <ATen/Tensor.h>

#include <functional>

namespace ladder::model {

using BlockForward = std::function<at::Tensor(const at::Tensor&)>;

// forward(x), with its activations recomputed during backward. `forward` must compute
// the same values when called again (it is, without dropout) and outlive the backward pass.
at::Tensor checkpointed(const BlockForward& forward, const at::Tensor& x);

}  // namespace ladder::model
