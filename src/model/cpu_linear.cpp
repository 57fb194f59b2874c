#include "model/cpu_linear.hpp"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <vector>

#include "model/cpu_blas.hpp"

namespace ladder::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Why not at::linear and at::mm: they make one BLAS call that splits its work across the
// threads, which then wait on each other's packed panels inside the call. On a shared
// machine, where one core often runs slower for a while, that measured anywhere from 100 to
// 210 GFLOP/s on the same product, the slow phases hitting one product in two (the output
// layer's backward at half speed in some runs). Here each thread makes one single-threaded
// call on its own share of the output's rows and waits only at the end: 180-210 GFLOP/s on
// every product of a training step. The results are the same products, summed in the same
// order within a row.
template <typename Call>
void split_rows(int64_t rows, const Call& call) {
    const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), rows));
    at::parallel_for(0, parts, 1, [&](int64_t begin, int64_t end) {
        for (int64_t part = begin; part < end; ++part) {
            const int64_t first = rows * part / parts, last = rows * (part + 1) / parts;
            call(first, last - first);
        }
    });
}

struct Linear : torch::autograd::Function<Linear> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input,
                              const at::Tensor& weight_in) {
        const at::Tensor w = weight_in.contiguous();
        const int64_t in = w.size(1), out = w.size(0);
        const at::Tensor x = input.reshape({-1, in}).contiguous();
        at::Tensor y = at::empty({x.size(0), out}, x.options());
        AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "cpu_linear", [&] {
            const scalar_t* X = x.data_ptr<scalar_t>();
            const scalar_t* W = w.data_ptr<scalar_t>();
            scalar_t* Y = y.data_ptr<scalar_t>();
            // y[r] = x[r] W^T
            split_rows(x.size(0), [&](int64_t r, int64_t n) {
                gemm(Op::Plain, Op::Transposed, n, out, in, scalar_t(1), X + r * in, in, W, in,
                     scalar_t(0), Y + r * out, out);
            });
        });
        ctx->save_for_backward({x, w});
        ctx->saved_data["input_shape"] = input.sizes();
        std::vector<int64_t> shape = input.sizes().vec();
        shape.back() = out;
        return y.view(shape);
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        const at::Tensor &x = saved[0], &w = saved[1];
        const int64_t in = w.size(1), out = w.size(0), tokens = x.size(0);
        const at::Tensor dy = grads[0].reshape({tokens, out}).contiguous();
        at::Tensor dx, dw;
        AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "cpu_linear_backward", [&] {
            const scalar_t* X = x.data_ptr<scalar_t>();
            const scalar_t* W = w.data_ptr<scalar_t>();
            const scalar_t* DY = dy.data_ptr<scalar_t>();
            if (ctx->needs_input_grad(0)) {
                dx = at::empty({tokens, in}, x.options());
                scalar_t* DX = dx.data_ptr<scalar_t>();
                // dx[r] = dy[r] W
                split_rows(tokens, [&](int64_t r, int64_t n) {
                    gemm(Op::Plain, Op::Plain, n, in, out, scalar_t(1), DY + r * out, out, W, in,
                         scalar_t(0), DX + r * in, in);
                });
            }
            if (ctx->needs_input_grad(1)) {
                dw = at::empty({out, in}, w.options());
                scalar_t* DW = dw.data_ptr<scalar_t>();
                // dW[o] = dy[:, o]^T x
                split_rows(out, [&](int64_t o, int64_t n) {
                    gemm(Op::Transposed, Op::Plain, n, in, tokens, scalar_t(1), DY + o, out, X, in,
                         scalar_t(0), DW + o * in, in);
                });
            }
        });
        if (dx.defined())
            dx = dx.view(ctx->saved_data["input_shape"].toIntVector());
        return {dx, dw};
    }
};

}  // namespace

at::Tensor cpu_linear(const at::Tensor& x, const at::Tensor& weight) {
    return Linear::apply(x, weight);
}

}  // namespace ladder::model
