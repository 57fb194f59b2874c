#include "model/cpu_attention.hpp"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "model/cpu_blas.hpp"
#include "model/cpu_vector_math.hpp"

namespace ladder::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Why not LibTorch's batched products over [B, H, T, T], as the spelled-out math does: they
// run one BLAS call per head, each split across all threads, and with head widths of 32-128
// reach a fifth of the machine's matmul speed. Here each thread takes whole heads and makes
// single-threaded BLAS calls (OpenBLAS's OpenMP build uses one thread inside a parallel
// region) straight on a head's rows where they lie in the [B, T, H, hd] projections: no
// transposed copies, no dispatcher in between. Queries go kQueryBlock rows at a time, each
// block against only the keys it can see, which skips most products above the diagonal
// (at T = 4 blocks, 10/16 of the full count are made). Threads take heads one at a time
// rather than an even share: on a shared machine one core often runs slower than another.
constexpr int64_t kQueryBlock = 64;

struct Shape {
    int64_t B, T, H, KV, hd, window;

    int64_t group() const { return H / KV; }
    int64_t q_stride() const { return H * hd; }    // between positions in q and the output
    int64_t kv_stride() const { return KV * hd; }  // between positions in k and v
    // The first key that the query at row r may see; for a block, its first row's.
    int64_t first_key(int64_t r) const {
        return window > 0 ? std::max<int64_t>(0, r - window + 1) : 0;
    }
};

// Where the rows of one (batch, head) pair start in q and in k and v.
struct HeadOffsets {
    int64_t q, kv;
};

HeadOffsets head_offsets(const Shape& s, int64_t bh) {
    const int64_t b = bh / s.H, h = bh % s.H;
    return {b * s.T * s.q_stride() + h * s.hd, b * s.T * s.kv_stride() + (h / s.group()) * s.hd};
}

// row[0:n] = softmax(row[0:n]) in place.
template <typename scalar_t>
LADDER_VECTOR_CLONES void softmax_in_place(scalar_t* row, int64_t n) {
    const scalar_t m = lane_max(row, n);
    const scalar_t sum = lane_sum<scalar_t>(n, [&](int64_t j) {
        row[j] = vector_exp(row[j] - m);
        return row[j];
    });
    const scalar_t inverse = scalar_t(1) / sum;
    for (int64_t j = 0; j < n; ++j)
        row[j] *= inverse;
}

// probs[bh] = softmax(q k^T / sqrt(hd)) over the keys each query sees; out = probs v. Only the
// rectangles [r0, r1) x [lo, r1) of probs that the products read are written: their hidden
// entries 0, the rest never touched.
template <typename scalar_t>
void forward_kernel(const Shape& s, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                    at::Tensor& probs, at::Tensor& out) {
    const int64_t ldq = s.q_stride(), ldk = s.kv_stride(), T = s.T, hd = s.hd;
    const scalar_t scale = scalar_t(1) / std::sqrt(scalar_t(hd));
    std::atomic<int64_t> next_head{0};
    at::parallel_for(0, at::get_num_threads(), 1, [&](int64_t, int64_t) {
        for (int64_t bh = next_head++; bh < s.B * s.H; bh = next_head++) {
            const HeadOffsets off = head_offsets(s, bh);
            const scalar_t* qh = q.data_ptr<scalar_t>() + off.q;
            const scalar_t* kh = k.data_ptr<scalar_t>() + off.kv;
            const scalar_t* vh = v.data_ptr<scalar_t>() + off.kv;
            scalar_t* oh = out.data_ptr<scalar_t>() + off.q;
            scalar_t* P = probs.data_ptr<scalar_t>() + bh * T * T;
            for (int64_t r0 = 0; r0 < T; r0 += kQueryBlock) {
                const int64_t r1 = std::min(T, r0 + kQueryBlock), lo = s.first_key(r0);
                // P[r0:r1, lo:r1] = scale q[r0:r1] k[lo:r1]^T, then each row's softmax over the
                // keys its query sees, [first_key(i), i], and 0 for the others.
                gemm(Op::Plain, Op::Transposed, r1 - r0, r1 - lo, hd, scale, qh + r0 * ldq, ldq,
                     kh + lo * ldk, ldk, scalar_t(0), P + r0 * T + lo, T);
                for (int64_t i = r0; i < r1; ++i) {
                    scalar_t* row = P + i * T;
                    const int64_t first = s.first_key(i);
                    std::fill(row + lo, row + first, scalar_t(0));
                    softmax_in_place(row + first, i + 1 - first);
                    std::fill(row + i + 1, row + r1, scalar_t(0));
                }
                // out[r0:r1] = P[r0:r1, lo:r1] v[lo:r1]
                gemm(Op::Plain, Op::Plain, r1 - r0, hd, r1 - lo, scalar_t(1), P + r0 * T + lo, T,
                     vh + lo * ldk, ldk, scalar_t(0), oh + r0 * ldq, ldq);
            }
        }
    });
}

// The gradients of forward_kernel, per head: with dS = P ⊙ (dO v^T − rowsum(dO ⊙ out)),
// dq = scale dS k, dk = scale dS^T q, dv = P^T dO. dk and dv are per query head
// ([B, T, H, hd]); query heads that share a key/value head are summed by the caller.
template <typename scalar_t>
void backward_kernel(const Shape& s, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& out, const at::Tensor& probs, const at::Tensor& grad_out,
                     at::Tensor& dq, at::Tensor& dk, at::Tensor& dv) {
    const int64_t ldq = s.q_stride(), ldk = s.kv_stride(), T = s.T, hd = s.hd;
    const scalar_t scale = scalar_t(1) / std::sqrt(scalar_t(hd));
    std::atomic<int64_t> next_head{0};
    at::parallel_for(0, at::get_num_threads(), 1, [&](int64_t, int64_t) {
        std::vector<scalar_t> dS(T * T), row_dot(T);
        for (int64_t bh = next_head++; bh < s.B * s.H; bh = next_head++) {
            const HeadOffsets off = head_offsets(s, bh);
            const scalar_t* qh = q.data_ptr<scalar_t>() + off.q;
            const scalar_t* kh = k.data_ptr<scalar_t>() + off.kv;
            const scalar_t* vh = v.data_ptr<scalar_t>() + off.kv;
            const scalar_t* oh = out.data_ptr<scalar_t>() + off.q;
            const scalar_t* doh = grad_out.data_ptr<scalar_t>() + off.q;
            const scalar_t* P = probs.data_ptr<scalar_t>() + bh * T * T;
            scalar_t* dqh = dq.data_ptr<scalar_t>() + off.q;
            scalar_t* dkh = dk.data_ptr<scalar_t>() + off.q;
            scalar_t* dvh = dv.data_ptr<scalar_t>() + off.q;
            for (int64_t i = 0; i < T; ++i) {
                scalar_t sum = 0;
                for (int64_t d = 0; d < hd; ++d)
                    sum += doh[i * ldq + d] * oh[i * ldq + d];
                row_dot[i] = sum;
            }
            for (int64_t r0 = 0; r0 < T; r0 += kQueryBlock) {
                const int64_t r1 = std::min(T, r0 + kQueryBlock), lo = s.first_key(r0);
                const int64_t rows = r1 - r0, keys = r1 - lo;
                const scalar_t* Pb = P + r0 * T + lo;
                scalar_t* dSb = dS.data() + r0 * T + lo;
                // dv[lo:r1] += P[r0:r1, lo:r1]^T dO[r0:r1]
                gemm(Op::Transposed, Op::Plain, keys, hd, rows, scalar_t(1), Pb, T, doh + r0 * ldq,
                     ldq, scalar_t(1), dvh + lo * ldq, ldq);
                // dP = dO[r0:r1] v[lo:r1]^T, then dS = P ⊙ (dP − rowsum(dO ⊙ out)) in place.
                gemm(Op::Plain, Op::Transposed, rows, keys, hd, scalar_t(1), doh + r0 * ldq, ldq,
                     vh + lo * ldk, ldk, scalar_t(0), dSb, T);
                for (int64_t i = 0; i < rows; ++i) {
                    scalar_t* __restrict d = dSb + i * T;
                    const scalar_t* __restrict p = Pb + i * T;
                    const scalar_t dot = row_dot[r0 + i];
                    for (int64_t j = 0; j < keys; ++j)
                        d[j] = p[j] * (d[j] - dot);
                }
                // dq[r0:r1] = scale dS k[lo:r1]
                gemm(Op::Plain, Op::Plain, rows, hd, keys, scale, dSb, T, kh + lo * ldk, ldk,
                     scalar_t(0), dqh + r0 * ldq, ldq);
                // dk[lo:r1] += scale dS^T q[r0:r1]
                gemm(Op::Transposed, Op::Plain, keys, hd, rows, scale, dSb, T, qh + r0 * ldq, ldq,
                     scalar_t(1), dkh + lo * ldq, ldq);
            }
        }
    });
}

struct CausalAttention : torch::autograd::Function<CausalAttention> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& query, const at::Tensor& key,
                              const at::Tensor& value, int64_t window) {
        const at::Tensor q = query.contiguous(), k = key.contiguous(), v = value.contiguous();
        const Shape s{q.size(0), q.size(1), q.size(2), k.size(2), q.size(3), window};
        at::Tensor out = at::empty_like(q);
        at::Tensor probs = at::empty({s.B * s.H, s.T, s.T}, q.options());
        AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "cpu_causal_attention",
                                   [&] { forward_kernel<scalar_t>(s, q, k, v, probs, out); });
        ctx->save_for_backward({q, k, v, out, probs});
        ctx->saved_data["window"] = window;
        return out;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        const at::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &out = saved[3],
                         &probs = saved[4];
        const Shape s{q.size(0), q.size(1), q.size(2),
                      k.size(2), q.size(3), ctx->saved_data["window"].toInt()};
        const at::Tensor grad_out = grads[0].contiguous();
        at::Tensor dq = at::empty_like(q), dk = at::zeros_like(q), dv = at::zeros_like(q);
        AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "cpu_causal_attention_backward", [&] {
            backward_kernel<scalar_t>(s, q, k, v, out, probs, grad_out, dq, dk, dv);
        });
        if (s.group() > 1) {
            dk = dk.view({s.B, s.T, s.KV, s.group(), s.hd}).sum(3);
            dv = dv.view({s.B, s.T, s.KV, s.group(), s.hd}).sum(3);
        }
        return {dq, dk, dv, at::Tensor()};
    }
};

}  // namespace

at::Tensor cpu_causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                int64_t window) {
    return CausalAttention::apply(q, k, v, window);
}

}  // namespace ladder::model
