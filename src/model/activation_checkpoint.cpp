#include "model/activation_checkpoint.hpp"

#include <ATen/core/ivalue.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include "model/torch_compat.hpp"

namespace ladder::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The block's forward, kept in the autograd context until backward reruns it.
struct SavedForward : torch::CustomClassHolder {
    explicit SavedForward(BlockForward f) : forward(std::move(f)) {}
    BlockForward forward;
};

struct CheckpointedBlock : torch::autograd::Function<CheckpointedBlock> {
    // Runs with autograd off (Function::apply turns it off), so nothing is kept but `x`.
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x,
                              const BlockForward& block) {
        ctx->save_for_backward({x});
        ctx->saved_data["forward"] =
            c10::IValue::make_capsule(c10::make_intrusive<SavedForward>(block));
        ctx->saved_data["autocast"] = cuda_autocast_enabled();
        return block(x);
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const at::Tensor x = ctx->get_saved_variables()[0].detach().requires_grad_(true);
        const auto saved = ctx->saved_data["forward"].toCapsule();
        const BlockForward& block = static_cast<SavedForward*>(saved.get())->forward;
        at::Tensor out;
        {
            // The engine may run this on another thread, where neither autograd nor
            // autocast is on.
            const at::AutoGradMode grad_mode(true);
            const CudaBf16Autocast autocast(ctx->saved_data["autocast"].toBool());
            out = block(x);
        }
        // Accumulates into the block's parameters (running their gradient hooks, as the
        // data-parallel reducer needs) and into x.grad.
        torch::autograd::backward({out}, {grads[0]});
        return {x.grad(), at::Tensor()};
    }
};

}  // namespace

at::Tensor checkpointed(const BlockForward& forward, const at::Tensor& x) {
    return CheckpointedBlock::apply(x, forward);
}

}  // namespace ladder::model
