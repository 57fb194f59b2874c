#include "model/cpu_fused.hpp"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <vector>

#include "model/cpu_vector_math.hpp"

namespace ladder::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows per task: big enough that a task outweighs its scheduling.
constexpr int64_t kRowGrain = 64;

// Row i: r_i = 1 / sqrt(mean_j x_ij^2 + eps), y_ij = x_ij r_i w_j.
template <typename scalar_t>
LADDER_VECTOR_CLONES void rms_norm_rows(const scalar_t* x, const scalar_t* w, scalar_t* y,
                                        scalar_t* rstd, int64_t rows, int64_t d, scalar_t eps) {
    for (int64_t i = 0; i < rows; ++i) {
        const scalar_t* xi = x + i * d;
        const scalar_t squares = lane_sum<scalar_t>(d, [&](int64_t j) { return xi[j] * xi[j]; });
        const scalar_t r = scalar_t(1) / std::sqrt(squares / scalar_t(d) + eps);
        rstd[i] = r;
        scalar_t* yi = y + i * d;
        for (int64_t j = 0; j < d; ++j)
            yi[j] = xi[j] * r * w[j];
    }
}

// dx_ik = r_i g_ik w_k - x_ik r_i^3 / d * sum_j g_ij w_j x_ij;  dw_j += sum_i g_ij x_ij r_i.
template <typename scalar_t>
LADDER_VECTOR_CLONES void rms_norm_backward_rows(const scalar_t* x, const scalar_t* w,
                                                 const scalar_t* g, const scalar_t* rstd,
                                                 scalar_t* dx, scalar_t* dw, int64_t rows,
                                                 int64_t d) {
    for (int64_t i = 0; i < rows; ++i) {
        const scalar_t *xi = x + i * d, *gi = g + i * d;
        const scalar_t r = rstd[i];
        const scalar_t dot = lane_sum<scalar_t>(d, [&](int64_t j) { return gi[j] * w[j] * xi[j]; });
        const scalar_t c = dot * r * r * r / scalar_t(d);
        scalar_t* dxi = dx + i * d;
        for (int64_t j = 0; j < d; ++j) {
            dxi[j] = r * gi[j] * w[j] - xi[j] * c;
            dw[j] += gi[j] * xi[j] * r;
        }
    }
}

struct RMSNormFunction : torch::autograd::Function<RMSNormFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input,
                              const at::Tensor& weight, double eps) {
        const at::Tensor x = input.contiguous(), w = weight.contiguous();
        const int64_t d = x.size(-1), rows = x.numel() / d;
        at::Tensor y = at::empty_like(x), rstd = at::empty({rows}, x.options());
        AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "cpu_rms_norm", [&] {
            const scalar_t *xp = x.data_ptr<scalar_t>(), *wp = w.data_ptr<scalar_t>();
            scalar_t *yp = y.data_ptr<scalar_t>(), *rp = rstd.data_ptr<scalar_t>();
            at::parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
                rms_norm_rows(xp + begin * d, wp, yp + begin * d, rp + begin, end - begin, d,
                              scalar_t(eps));
            });
        });
        ctx->save_for_backward({x, w, rstd});
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        const at::Tensor &x = saved[0], &w = saved[1], &rstd = saved[2];
        const at::Tensor g = grads[0].contiguous();
        const int64_t d = x.size(-1), rows = x.numel() / d;
        at::Tensor dx = at::empty_like(x);
        // dw in per-task partial sums, added up at the end: no two tasks write one row.
        const int64_t tasks = std::max<int64_t>(1, (rows + kRowGrain - 1) / kRowGrain);
        at::Tensor dw_parts = at::zeros({tasks, d}, x.options());
        AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "cpu_rms_norm_backward", [&] {
            const scalar_t *xp = x.data_ptr<scalar_t>(), *wp = w.data_ptr<scalar_t>();
            const scalar_t *gp = g.data_ptr<scalar_t>(), *rp = rstd.data_ptr<scalar_t>();
            scalar_t *dxp = dx.data_ptr<scalar_t>(), *dwp = dw_parts.data_ptr<scalar_t>();
            at::parallel_for(0, tasks, 1, [&](int64_t first_task, int64_t end_task) {
                for (int64_t task = first_task; task < end_task; ++task) {
                    const int64_t first = task * kRowGrain;
                    rms_norm_backward_rows(xp + first * d, wp, gp + first * d, rp + first,
                                           dxp + first * d, dwp + task * d,
                                           std::min(rows - first, kRowGrain), d);
                }
            });
        });
        return {dx, dw_parts.sum(0), at::Tensor()};
    }
};

// The rotation of each pair (j, j + hd/2) of a head by its position's angle.
struct RotaryFunction : torch::autograd::Function<RotaryFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input, const at::Tensor& cos,
                              const at::Tensor& sin) {
        const at::Tensor x = input.contiguous(), c = cos.contiguous(), s = sin.contiguous();
        at::Tensor y = at::empty_like(x);
        rotate(x, c, s, /*inverse=*/false, y);
        ctx->save_for_backward({c, s});
        return y;
    }

    // The rotation's transpose: the same pairs turned back by the same angles.
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        const at::Tensor g = grads[0].contiguous();
        at::Tensor dx = at::empty_like(g);
        rotate(g, saved[0], saved[1], /*inverse=*/true, dx);
        return {dx, at::Tensor(), at::Tensor()};
    }

    // Forward: y_j = x_j c_j - x_{j+h} s_j, y_{j+h} = x_{j+h} c_{j+h} + x_j s_{j+h} (h = hd/2).
    // Inverse: y_j = x_j c_j + x_{j+h} s_{j+h}, y_{j+h} = x_{j+h} c_{j+h} - x_j s_j.
    static void rotate(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                       bool inverse, at::Tensor& y) {
        const int64_t T = x.size(1), heads = x.size(2), hd = x.size(3), half = hd / 2;
        const int64_t rows = x.numel() / hd;  // (b, t, head) triples
        AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "cpu_rotary", [&] {
            const scalar_t *xp = x.data_ptr<scalar_t>(), *cp = cos.data_ptr<scalar_t>(),
                           *sp = sin.data_ptr<scalar_t>();
            scalar_t* yp = y.data_ptr<scalar_t>();
            at::parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
                for (int64_t row = begin; row < end; ++row) {
                    const int64_t t = (row / heads) % T;
                    const scalar_t *xi = xp + row * hd, *ct = cp + t * hd, *st = sp + t * hd;
                    scalar_t* yi = yp + row * hd;
                    // The sign of the sine that the first half takes; the second takes the other.
                    const scalar_t sign = inverse ? 1 : -1;
                    const scalar_t* s_first = inverse ? st + half : st;
                    const scalar_t* s_second = inverse ? st : st + half;
                    for (int64_t j = 0; j < half; ++j) {
                        yi[j] = xi[j] * ct[j] + sign * xi[j + half] * s_first[j];
                        yi[j + half] = xi[j + half] * ct[j + half] - sign * xi[j] * s_second[j];
                    }
                }
            });
        });
    }
};

// Row by row over [rows, 2h] products a|b: out = silu(a) b = a sig(a) b, keeping sig(a).
template <typename scalar_t>
LADDER_VECTOR_CLONES void swiglu_forward_rows(const scalar_t* ab, scalar_t* out, scalar_t* sig,
                                              int64_t rows, int64_t h) {
    for (int64_t i = 0; i < rows; ++i) {
        const scalar_t *a = ab + i * 2 * h, *b = a + h;
        scalar_t *o = out + i * h, *s = sig + i * h;
        for (int64_t j = 0; j < h; ++j) {
            const scalar_t sig_a = scalar_t(1) / (scalar_t(1) + vector_exp(-a[j]));
            s[j] = sig_a;
            o[j] = a[j] * sig_a * b[j];
        }
    }
}

// d/da = g b silu'(a) with silu'(a) = sig(a) + silu(a) (1 - sig(a)); d/db = g silu(a).
template <typename scalar_t>
LADDER_VECTOR_CLONES void swiglu_backward_rows(const scalar_t* ab, const scalar_t* sig,
                                               const scalar_t* grad, scalar_t* d_ab, int64_t rows,
                                               int64_t h) {
    for (int64_t i = 0; i < rows; ++i) {
        const scalar_t *a = ab + i * 2 * h, *b = a + h, *s = sig + i * h, *g = grad + i * h;
        scalar_t *da = d_ab + i * 2 * h, *db = da + h;
        for (int64_t j = 0; j < h; ++j) {
            const scalar_t silu_a = a[j] * s[j];
            db[j] = g[j] * silu_a;
            da[j] = g[j] * b[j] * (s[j] + silu_a * (scalar_t(1) - s[j]));
        }
    }
}

struct SwiGLUFunction : torch::autograd::Function<SwiGLUFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input) {
        const at::Tensor ab = input.contiguous();
        const int64_t h = ab.size(-1) / 2, rows = ab.numel() / (2 * h);
        std::vector<int64_t> shape = ab.sizes().vec();
        shape.back() = h;
        at::Tensor out = at::empty(shape, ab.options()), sig = at::empty(shape, ab.options());
        AT_DISPATCH_FLOATING_TYPES(ab.scalar_type(), "cpu_swiglu", [&] {
            const scalar_t* abp = ab.data_ptr<scalar_t>();
            scalar_t *op = out.data_ptr<scalar_t>(), *sp = sig.data_ptr<scalar_t>();
            at::parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
                swiglu_forward_rows(abp + begin * 2 * h, op + begin * h, sp + begin * h,
                                    end - begin, h);
            });
        });
        ctx->save_for_backward({ab, sig});
        return out;
    }

    // The gradient comes back side by side, [..., 2h], as the product a|b it came from.
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        const at::Tensor &ab = saved[0], &sig = saved[1];
        const at::Tensor g = grads[0].contiguous();
        const int64_t h = ab.size(-1) / 2, rows = ab.numel() / (2 * h);
        at::Tensor d_ab = at::empty_like(ab);
        AT_DISPATCH_FLOATING_TYPES(ab.scalar_type(), "cpu_swiglu_backward", [&] {
            const scalar_t *abp = ab.data_ptr<scalar_t>(), *sp = sig.data_ptr<scalar_t>(),
                           *gp = g.data_ptr<scalar_t>();
            scalar_t* dp = d_ab.data_ptr<scalar_t>();
            at::parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
                swiglu_backward_rows(abp + begin * 2 * h, sp + begin * h, gp + begin * h,
                                     dp + begin * 2 * h, end - begin, h);
            });
        });
        return {d_ab};
    }
};

// lse_i = log sum_j e^(x_ij) over float rows [rows, n], from the row's maximum m_i as
// m_i + log sum_j e^(x_ij - m_i). A NaN in a row makes its lse NaN.
LADDER_VECTOR_CLONES void logsumexp_rows(const float* x, float* lse, int64_t rows, int64_t n) {
    for (int64_t i = 0; i < rows; ++i) {
        const float* xi = x + i * n;
        const float m = lane_max(xi, n);
        const float sum = lane_sum<float>(n, [&](int64_t j) { return vector_exp(xi[j] - m); });
        lse[i] = m + std::log(sum);
    }
}

// out_ij = e^(x_ij - lse_i) scale_i over float rows [rows, n].
LADDER_VECTOR_CLONES void scaled_softmax_rows(const float* x, const float* lse, const float* scale,
                                              float* out, int64_t rows, int64_t n) {
    for (int64_t i = 0; i < rows; ++i) {
        const float *xi = x + i * n, shift = lse[i], factor = scale[i];
        float* oi = out + i * n;
        for (int64_t j = 0; j < n; ++j)
            oi[j] = vector_exp(xi[j] - shift) * factor;
    }
}

}  // namespace

at::Tensor cpu_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
    return RMSNormFunction::apply(x, weight, eps);
}

at::Tensor cpu_rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
    return RotaryFunction::apply(x, cos, sin);
}

at::Tensor cpu_swiglu(const at::Tensor& ab) {
    return SwiGLUFunction::apply(ab);
}

void cpu_logsumexp_rows(const at::Tensor& x, at::Tensor& lse) {
    const int64_t rows = x.size(0), n = x.size(1);
    const float* xp = x.data_ptr<float>();
    float* lp = lse.data_ptr<float>();
    at::parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
        logsumexp_rows(xp + begin * n, lp + begin, end - begin, n);
    });
}

void cpu_scaled_softmax_rows(const at::Tensor& x, const at::Tensor& lse, const at::Tensor& scale,
                             at::Tensor& out) {
    const int64_t rows = x.size(0), n = x.size(1);
    const float *xp = x.data_ptr<float>(), *lp = lse.data_ptr<float>(),
                *sp = scale.data_ptr<float>();
    float* op = out.data_ptr<float>();
    at::parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
        scaled_softmax_rows(xp + begin * n, lp + begin, sp + begin, op + begin * n, end - begin, n);
    });
}

}  // namespace ladder::model
