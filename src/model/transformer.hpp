// The OLMo-2/OLMo-3 decoder (OLMo-core's olmo_core/nn/transformer/config.py,
// TransformerConfig.olmo2_*/olmo3_*) as LibTorch modules. Parameter names follow OLMo-core:
// embeddings.weight, blocks.<i>.attention.w_q.weight, ..., lm_head.w_out.weight.
//
// Shapes: B batch, T sequence, d model width, H heads, KV key/value heads, hd head width,
// V padded vocabulary.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include <map>

#include "ladder/model_spec.hpp"

namespace ladder::model {

// y = w * x / sqrt(mean(x^2) + eps), computed in fp32 and cast back; no bias.
class RMSNormImpl : public torch::nn::Module {
  public:
    RMSNormImpl(int64_t size, double eps);
    torch::Tensor forward(const torch::Tensor& x);

    torch::Tensor weight;  // [size]

  private:
    double eps_;
};
TORCH_MODULE(RMSNorm);

// Rotary embedding tables, "rotate half" layout, in fp32, cached per (T, device).
class RotaryEmbedding {
  public:
    RotaryEmbedding(int64_t head_dim, double theta) : head_dim_(head_dim), theta_(theta) {}
    // x: [B, T, heads, hd] -> same shape and dtype, rotated by position.
    torch::Tensor apply(const torch::Tensor& x);

  private:
    int64_t head_dim_;
    double theta_;
    torch::Tensor sin_, cos_;  // [T, 1, hd]
};

class AttentionImpl : public torch::nn::Module {
  public:
    AttentionImpl(const ModelSpec& spec, int64_t window);
    torch::Tensor forward(const torch::Tensor& x);  // [B, T, d] -> [B, T, d]

    torch::nn::Linear w_q{nullptr}, w_k{nullptr}, w_v{nullptr}, w_out{nullptr};
    // Over all heads of q (H*hd) and k (KV*hd); empty when the family has no QK-norm.
    RMSNorm q_norm{nullptr}, k_norm{nullptr};

  private:
    torch::Tensor mask_for(int64_t T, const torch::Device& device);

    int64_t n_heads_, n_kv_heads_, head_dim_;
    int64_t window_;  // -1: full causal attention
    RotaryEmbedding rope_;
    torch::Tensor mask_;  // cached [T, T] additive mask
};
TORCH_MODULE(Attention);

// SwiGLU: w2(silu(w1 x) * w3 x).
class FeedForwardImpl : public torch::nn::Module {
  public:
    FeedForwardImpl(int64_t d_model, int64_t hidden);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Linear w1{nullptr}, w2{nullptr}, w3{nullptr};
};
TORCH_MODULE(FeedForward);

// Reordered norm: h = x + norm(attention(x)); out = h + norm(feed_forward(h)).
class BlockImpl : public torch::nn::Module {
  public:
    BlockImpl(const ModelSpec& spec, int64_t layer);
    torch::Tensor forward(const torch::Tensor& x);

    Attention attention{nullptr};
    RMSNorm attention_norm{nullptr};
    FeedForward feed_forward{nullptr};
    RMSNorm feed_forward_norm{nullptr};
};
TORCH_MODULE(Block);

class LMHeadImpl : public torch::nn::Module {
  public:
    LMHeadImpl(int64_t d_model, int64_t vocab, double eps);
    torch::Tensor forward(const torch::Tensor& x);  // [B, T, d] -> [B, T, V]

    RMSNorm norm{nullptr};
    torch::nn::Linear w_out{nullptr};
};
TORCH_MODULE(LMHead);

class TransformerImpl : public torch::nn::Module {
  public:
    explicit TransformerImpl(const ModelSpec& spec);
    torch::Tensor forward(const torch::Tensor& tokens);  // [B, T] int64 -> logits [B, T, V]

    // OLMo-core's `normal` init: every Linear weight and the embedding from a normal
    // (std 0.02) truncated at +-3 std, norms 1; drawn in OLMo-core's parameter order.
    void initialize(uint64_t seed);

    torch::nn::Embedding embeddings{nullptr};
    torch::nn::ModuleList blocks{nullptr};
    LMHead lm_head{nullptr};

  private:
    ModelSpec spec_;
};
TORCH_MODULE(Transformer);

}  // namespace ladder::model
