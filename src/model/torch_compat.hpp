// The one place that knows which LibTorch version is in use. Causal attention goes through
// scaled_dot_product_attention on LibTorch 2.x (flash / memory-efficient kernels on CUDA);
// LibTorch 1.13 (Debian's, CPU) gets the same math spelled out. Autocast's API moved in 2.4.
#pragma once

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <cmath>

namespace ladder::model {

// q: [B, H, T, hd], k and v: [B, H, T, hd] (KV heads already repeated to H).
// `mask`: additive [T, T] (0 where a query may see a key, -inf elsewhere), encoding the
// causal rule and any sliding window; `plain_causal` says it is the plain causal mask,
// which LibTorch 2.x serves with its fused kernels. Returns [B, H, T, hd].
inline at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const at::Tensor& mask, bool plain_causal) {
#if TORCH_VERSION_MAJOR >= 2
    if (plain_causal)
        return at::scaled_dot_product_attention(q, k, v, {}, 0.0, true);
    return at::scaled_dot_product_attention(q, k, v, mask.to(q.dtype()), 0.0, false);
#else
    (void)plain_causal;
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    at::Tensor scores = at::matmul(q, k.transpose(-2, -1)).mul_(scale);  // [B, H, T, T]
    scores.add_(mask.to(scores.dtype()));
    return at::matmul(at::softmax(scores, -1), v);
#endif
}

// bf16 autocast for CUDA forward passes (parameters and optimizer stay fp32), for the
// lifetime of the guard; a no-op on the CPU, which trains in fp32.
class CudaBf16Autocast {
  public:
    explicit CudaBf16Autocast(bool on) : on_(on) {
        if (!on_)
            return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
        at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
        at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
        at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
        at::autocast::set_enabled(true);
#endif
    }
    ~CudaBf16Autocast() {
        if (!on_)
            return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
        at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
        at::autocast::set_enabled(false);
#endif
        at::autocast::clear_cache();
    }
    CudaBf16Autocast(const CudaBf16Autocast&) = delete;
    CudaBf16Autocast& operator=(const CudaBf16Autocast&) = delete;

  private:
    bool on_;
};

}  // namespace ladder::model
