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
// layer's backward at half speed in some runs). Here C is cut into one tile per thread, each
// made by one single-threaded call that waits for nothing but the end: 180-210 GFLOP/s on
// every product of a training step. Tiles span whole rows while each thread still gets
// kMinTileRows of them (each call packs all of op(B) again); many threads on few rows also
// split the columns.
constexpr int64_t kMinTileRows = 64;

// C = op(A) op(B) as gemm (beta 0), its tiles made in parallel.
template <typename scalar_t>
void parallel_gemm(Op op_a, Op op_b, int64_t m, int64_t n, int64_t k, const scalar_t* a,
                   int64_t lda, const scalar_t* b, int64_t ldb, scalar_t* c, int64_t ldc) {
    const int64_t threads = at::get_num_threads();
    const int64_t row_parts = std::clamp<int64_t>(m / kMinTileRows, 1, threads);
    const int64_t col_parts = std::clamp<int64_t>(threads / row_parts, 1, std::max<int64_t>(1, n));
    at::parallel_for(0, row_parts * col_parts, 1, [&](int64_t begin, int64_t end) {
        for (int64_t tile = begin; tile < end; ++tile) {
            const int64_t rp = tile / col_parts, cp = tile % col_parts;
            const int64_t r0 = m * rp / row_parts, r1 = m * (rp + 1) / row_parts;
            const int64_t c0 = n * cp / col_parts, c1 = n * (cp + 1) / col_parts;
            // Rows r0.. of op(A) and columns c0.. of op(B), wherever they lie in memory.
            const scalar_t* a_rows = op_a == Op::Plain ? a + r0 * lda : a + r0;
            const scalar_t* b_cols = op_b == Op::Plain ? b + c0 : b + c0 * ldb;
            gemm(op_a, op_b, r1 - r0, c1 - c0, k, scalar_t(1), a_rows, lda, b_cols, ldb,
                 scalar_t(0), c + r0 * ldc + c0, ldc);
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
            // y = x W^T
            parallel_gemm(Op::Plain, Op::Transposed, x.size(0), out, in, X, in, W, in, Y, out);
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
                // dx = dy W
                parallel_gemm(Op::Plain, Op::Plain, tokens, in, out, DY, out, W, in, DX, in);
            }
            if (ctx->needs_input_grad(1)) {
                dw = at::empty({out, in}, w.options());
                scalar_t* DW = dw.data_ptr<scalar_t>();
                // dW = dy^T x
                parallel_gemm(Op::Transposed, Op::Plain, out, in, tokens, DY, out, X, in, DW, in);
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
