// The one place that knows which LibTorch version is in use. Causal attention goes through
// scaled_dot_product_attention on LibTorch 2.x (flash / memory-efficient kernels); builds on
// LibTorch 1.x (Debian's, LADDER_CPU_KERNELS) have ladder's CPU kernels for it, for the
// linear layers and for RMSNorm, RoPE and SwiGLU, and the math spelled out on other devices.
// Autocast's API moved in 2.4.
#pragma once

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <cmath>

#ifdef LADDER_CPU_KERNELS
#include "model/cpu_attention.hpp"
#include "model/cpu_linear.hpp"
#endif

namespace ladder::model {

// Whether ladder's CPU kernels (cpu_attention.hpp, cpu_linear.hpp, cpu_fused.hpp) serve a tensor:
// in builds that have them, fp32 or fp64 on the CPU. LibTorch 2.x builds keep LibTorch's own ops.
inline bool cpu_kernels_serve(const at::Tensor& x) {
#ifdef LADDER_CPU_KERNELS
    return x.is_cpu() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble);
#else
    (void)x;
    return false;
#endif
}

// x W^T without a bias (x [..., in], weight [out, in]): ladder's CPU kernel where it serves,
// else at::linear.
inline at::Tensor project(const at::Tensor& x, const at::Tensor& weight) {
#ifdef LADDER_CPU_KERNELS
    if (cpu_kernels_serve(x) && weight.scalar_type() == x.scalar_type())
        return cpu_linear(x, weight);
#endif
    return at::linear(x, weight);
}

// Whether causal_attention reads its mask: LibTorch 2.x's kernels apply the causal rule
// themselves and need a mask only for a sliding window shorter than the sequence; ladder's
// CPU kernel applies the window itself.
inline bool attention_reads_mask(const at::Tensor& q, int64_t window) {
    if (cpu_kernels_serve(q))
        return false;
#if TORCH_VERSION_MAJOR >= 2
    return window > 0 && window < q.size(1);
#else
    (void)window;
    return true;
#endif
}

// q: [B, T, H, hd]; k, v: [B, T, KV, hd] with H a multiple of KV. `mask`: additive [T, T]
// in q's dtype (0 where a query may see a key, -inf elsewhere) encoding the causal rule and,
// when window > 0, the sliding window (a query sees itself and the window - 1 keys before
// it); undefined where attention_reads_mask is false.
// Returns [B, T, H, hd].
inline at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const at::Tensor& mask, int64_t window) {
#ifdef LADDER_CPU_KERNELS
    if (cpu_kernels_serve(q))
        return cpu_causal_attention(q, k, v, window);
#endif
    // [B, H, T, hd], key/value heads repeated for the query heads that share them.
    const int64_t group = q.size(2) / k.size(2);
    const at::Tensor qt = q.transpose(1, 2);
    at::Tensor kt = k.transpose(1, 2), vt = v.transpose(1, 2);
    if (group > 1) {
        kt = kt.repeat_interleave(group, 1);
        vt = vt.repeat_interleave(group, 1);
    }
#if TORCH_VERSION_MAJOR >= 2
    const at::Tensor out = window <= 0 || window >= q.size(1)
                               ? at::scaled_dot_product_attention(qt, kt, vt, {}, 0.0, true)
                               : at::scaled_dot_product_attention(qt, kt, vt, mask, 0.0, false);
#else
    (void)window;  // in the mask
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    at::Tensor scores = at::matmul(qt, kt.transpose(-2, -1)).mul_(scale);  // [B, H, T, T]
    scores.add_(mask);
    const at::Tensor out = at::matmul(at::softmax(scores, -1), vt);
#endif
    return out.transpose(1, 2);
}

// Whether CUDA autocast is on in this thread.
inline bool cuda_autocast_enabled() {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    return at::autocast::is_autocast_enabled(at::kCUDA);
#else
    return at::autocast::is_enabled();
#endif
}

// bf16 autocast for CUDA forward passes (parameters and optimizer stay fp32), for the
// lifetime of the guard, which then restores what was set before; a no-op on the CPU,
// which trains in fp32.
class CudaBf16Autocast {
  public:
    explicit CudaBf16Autocast(bool on) : on_(on) {
        if (!on_)
            return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
        was_enabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
        previous_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
        at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
        at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
        was_enabled_ = at::autocast::is_enabled();
        previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
        at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
        at::autocast::set_enabled(true);
#endif
    }
    ~CudaBf16Autocast() {
        if (!on_)
            return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
        at::autocast::set_autocast_enabled(at::kCUDA, was_enabled_);
        at::autocast::set_autocast_dtype(at::kCUDA, previous_dtype_);
#else
        at::autocast::set_enabled(was_enabled_);
        at::autocast::set_autocast_gpu_dtype(previous_dtype_);
#endif
        // The cast weights cached for this region, unless an outer region still uses them.
        if (!was_enabled_)
            at::autocast::clear_cache();
    }
    CudaBf16Autocast(const CudaBf16Autocast&) = delete;
    CudaBf16Autocast& operator=(const CudaBf16Autocast&) = delete;

  private:
    bool on_;
    bool was_enabled_ = false;
    at::ScalarType previous_dtype_ = at::kBFloat16;
};

}  // namespace ladder::model
