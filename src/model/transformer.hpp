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

#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "ladder/model_spec.hpp"
#include "model/output_loss.hpp"

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
    torch::Tensor sin_, cos_;            // [T, 1, hd]
    torch::Tensor half_sin_, half_cos_;  // [T, hd / 2], for the CUDA kernel
};

// Additive [T, T] attention masks (0 where a query may see a key, -inf elsewhere) by
// sequence length and window, built once and shared by all layers of a model: at T = 8192
// each is 128 MiB in bf16.
class AttentionMasks {
  public:
    torch::Tensor get(int64_t T, int64_t window, const torch::TensorOptions& options);

  private:
    std::map<std::pair<int64_t, int64_t>, torch::Tensor> masks_;
};

class AttentionImpl : public torch::nn::Module {
  public:
    AttentionImpl(const ModelSpec& spec, int64_t window,
                  std::shared_ptr<AttentionMasks> masks = std::make_shared<AttentionMasks>());
    torch::Tensor forward(const torch::Tensor& x);  // [B, T, d] -> [B, T, d]

    torch::nn::Linear w_q{nullptr}, w_k{nullptr}, w_v{nullptr}, w_out{nullptr};
    // Over all heads of q (H*hd) and k (KV*hd); empty when the family has no QK-norm.
    RMSNorm q_norm{nullptr}, k_norm{nullptr};

  private:
    int64_t n_heads_, n_kv_heads_, head_dim_;
    int64_t window_;  // -1: full causal attention
    RotaryEmbedding rope_;
    std::shared_ptr<AttentionMasks> masks_;
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
    BlockImpl(const ModelSpec& spec, int64_t layer, std::shared_ptr<AttentionMasks> masks);
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

// Called around the forward of each unit a sharded data-parallel mode gathers at once:
// unit 0 the embeddings, 1..n_layers the blocks, n_layers + 1 the LM head.
class UnitHooks {
  public:
    virtual ~UnitHooks() = default;
    // Before the unit's forward: its parameters must hold their values.
    virtual void before_forward(int64_t unit) = 0;
    // After it, with the unit's output; returns the tensor the model continues with.
    virtual torch::Tensor after_forward(int64_t unit, const torch::Tensor& output) = 0;
};

class TransformerImpl : public torch::nn::Module {
  public:
    explicit TransformerImpl(const ModelSpec& spec);
    torch::Tensor forward(const torch::Tensor& tokens);  // [B, T] int64 -> logits [B, T, V]
    // The loss of next-token `labels` ([B, T]): on GPUs without materializing the logits
    // (model/output_loss.hpp), on the CPU through them (model/loss.hpp).
    OutputLoss loss(const torch::Tensor& tokens, const torch::Tensor& labels, double z_multiplier);
    // Per row of `tokens` ([B, T]) the sum of ln p(targets[b, t]) over the positions whose
    // target ([B, T]) is not negative, in fp32 ([B]). The head runs on those positions alone.
    // For evaluation: it reads the number of targeted positions on the host.
    torch::Tensor target_log_probs(const torch::Tensor& tokens, const torch::Tensor& targets);

    // OLMo-core's `normal` init: every Linear weight and the embedding from a normal
    // (std 0.02) truncated at +-3 std, norms 1; drawn in OLMo-core's parameter order.
    void initialize(uint64_t seed);

    // Blocks that keep only their input during a training forward and recompute the rest in
    // backward (activation checkpointing); one flag per block, empty for none.
    void set_recomputed_blocks(std::vector<bool> recomputed);

    // Hooks around each unit's forward (null: none); they must outlive the model's use.
    void set_unit_hooks(UnitHooks* hooks) { hooks_ = hooks; }

    torch::nn::Embedding embeddings{nullptr};
    torch::nn::ModuleList blocks{nullptr};
    LMHead lm_head{nullptr};

  private:
    torch::Tensor unit_forward(int64_t unit, const std::function<torch::Tensor()>& forward);
    torch::Tensor hidden_states(const torch::Tensor& tokens);  // through the last block

    ModelSpec spec_;
    std::vector<bool> recomputed_;
    UnitHooks* hooks_ = nullptr;
};
TORCH_MODULE(Transformer);

}  // namespace ladder::model
