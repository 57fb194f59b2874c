#include "model/cuda_fused.hpp"

#include <ATen/ATen.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/csrc/autograd/custom_function.h>

#include <stdexcept>
#include <string>

#include "cuda/kernels.hpp"

namespace ladder::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

cuda::DType kernel_dtype(const at::Tensor& t) {
    if (t.scalar_type() == at::kFloat)
        return cuda::DType::f32;
    if (t.scalar_type() == at::kBFloat16)
        return cuda::DType::bf16;
    throw std::invalid_argument(std::string("ladder's CUDA kernels take fp32 or bf16, not ") +
                                c10::toString(t.scalar_type()));
}

// The stream LibTorch is issuing work on for t's device: kernels queue behind it.
cudaStream_t stream_of(const at::Tensor& t) {
    return c10::cuda::getCurrentCUDAStream(t.device().index()).stream();
}

void check(cudaError_t status, const char* kernel) {
    if (status != cudaSuccess)
        throw std::runtime_error(std::string(kernel) + ": " + cudaGetErrorString(status));
}

struct RMSNormFunction : torch::autograd::Function<RMSNormFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input,
                              const at::Tensor& weight, double eps) {
        const c10::cuda::CUDAGuard guard(input.device());
        const at::Tensor x = input.contiguous(), w = weight.contiguous();
        const int64_t cols = x.size(-1), rows = x.numel() / cols;
        at::Tensor y = at::empty_like(x);
        at::Tensor rstd = at::empty({rows}, x.options().dtype(at::kFloat));
        check(cuda::rms_norm_forward(kernel_dtype(x), kernel_dtype(w), x.data_ptr(), w.data_ptr(),
                                     y.data_ptr(), rstd.data_ptr<float>(), rows, cols,
                                     static_cast<float>(eps), stream_of(x)),
              "rms_norm_forward");
        ctx->save_for_backward({x, w, rstd});
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        const at::Tensor &x = saved[0], &w = saved[1], &rstd = saved[2];
        const c10::cuda::CUDAGuard guard(x.device());
        const at::Tensor dy = grads[0].to(x.scalar_type()).contiguous();
        const int64_t cols = x.size(-1), rows = x.numel() / cols;
        at::Tensor dx = at::empty_like(x);
        at::Tensor dw = at::zeros({cols}, x.options().dtype(at::kFloat));
        check(cuda::rms_norm_backward(kernel_dtype(x), kernel_dtype(w), x.data_ptr(), w.data_ptr(),
                                      rstd.data_ptr<float>(), dy.data_ptr(), dx.data_ptr(),
                                      dw.data_ptr<float>(), rows, cols, stream_of(x)),
              "rms_norm_backward");
        return {dx, dw.to(w.scalar_type()), at::Tensor()};
    }
};

// Rotates a contiguous copy in place: the input may be saved by the op that produced it.
struct RotaryFunction : torch::autograd::Function<RotaryFunction> {
    static at::Tensor rotated(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                              bool inverse) {
        const c10::cuda::CUDAGuard guard(x.device());
        at::Tensor out = x.clone(at::MemoryFormat::Contiguous);
        check(cuda::rope(kernel_dtype(out), out.data_ptr(), cos.data_ptr<float>(),
                         sin.data_ptr<float>(), out.size(0), out.size(1), out.size(2), out.size(3),
                         inverse, stream_of(out)),
              "rope");
        return out;
    }

    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& cos,
                              const at::Tensor& sin) {
        ctx->save_for_backward({cos, sin});
        return rotated(x, cos, sin, false);
    }

    // A rotation's gradient is the opposite rotation.
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        return {rotated(grads[0], saved[0], saved[1], true), at::Tensor(), at::Tensor()};
    }
};

struct SwiGLUFunction : torch::autograd::Function<SwiGLUFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input) {
        const c10::cuda::CUDAGuard guard(input.device());
        const at::Tensor ab = input.contiguous();
        const int64_t hidden = ab.size(-1) / 2, rows = ab.numel() / ab.size(-1);
        std::vector<int64_t> shape = ab.sizes().vec();
        shape.back() = hidden;
        at::Tensor out = at::empty(shape, ab.options());
        check(cuda::swiglu_forward(kernel_dtype(ab), ab.data_ptr(), out.data_ptr(), rows, hidden,
                                   stream_of(ab)),
              "swiglu_forward");
        ctx->save_for_backward({ab});
        return out;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const at::Tensor ab = ctx->get_saved_variables()[0];
        const c10::cuda::CUDAGuard guard(ab.device());
        const at::Tensor dout = grads[0].to(ab.scalar_type()).contiguous();
        const int64_t hidden = ab.size(-1) / 2, rows = ab.numel() / ab.size(-1);
        at::Tensor d_ab = at::empty_like(ab);
        check(cuda::swiglu_backward(kernel_dtype(ab), ab.data_ptr(), dout.data_ptr(),
                                    d_ab.data_ptr(), rows, hidden, stream_of(ab)),
              "swiglu_backward");
        return {d_ab};
    }
};

}  // namespace

bool cuda_kernels_serve(const at::Tensor& x) {
    return cuda::kernels_enabled() && x.is_cuda() &&
           (x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16);
}

at::Tensor cuda_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
    if (x.size(-1) != weight.numel())
        throw std::invalid_argument("cuda_rms_norm: weight of " + std::to_string(weight.numel()) +
                                    " for rows of " + std::to_string(x.size(-1)));
    return RMSNormFunction::apply(x, weight, eps);
}

at::Tensor cuda_rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
    if (x.dim() != 4 || x.size(3) % 2 != 0 || cos.scalar_type() != at::kFloat ||
        sin.scalar_type() != at::kFloat || !cos.is_contiguous() || !sin.is_contiguous() ||
        cos.sizes() != at::IntArrayRef{x.size(1), x.size(3) / 2} || sin.sizes() != cos.sizes())
        throw std::invalid_argument(
            "cuda_rotary: expected x [B, T, heads, even hd] and fp32 "
            "contiguous cos, sin [T, hd / 2]");
    return RotaryFunction::apply(x, cos, sin);
}

at::Tensor cuda_swiglu(const at::Tensor& ab) {
    if (ab.dim() == 0 || ab.size(-1) % 2 != 0)
        throw std::invalid_argument("cuda_swiglu: the last dimension must hold two halves");
    return SwiGLUFunction::apply(ab);
}

}  // namespace ladder::model
