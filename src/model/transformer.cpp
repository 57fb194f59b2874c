#include "model/transformer.hpp"

#include <ATen/ATen.h>
#include <torch/nn/functional/activation.h>
#include <torch/utils.h>

#include <cmath>

#include "model/activation_checkpoint.hpp"
#include "model/cpu_fused.hpp"
#ifdef LADDER_CUDA_FUSED
#include "model/cuda_fused.hpp"
#endif
#include "model/loss.hpp"
#include "model/rms_norm.hpp"
#include "model/torch_compat.hpp"

namespace ladder::model {

namespace {

// Linear modules hold the weights under OLMo-core's names; forward passes multiply through
// project(), which picks ladder's CPU kernel where it serves.
torch::nn::Linear linear(int64_t in, int64_t out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
}

// PyTorch's trunc_normal_: inverse-CDF sampling from a normal truncated to [a, b].
void trunc_normal_(torch::Tensor& t, double std, double a, double b) {
    const auto cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
    const double low = cdf(a / std), high = cdf(b / std);
    t.uniform_(2 * low - 1, 2 * high - 1);
    t.erfinv_();
    t.mul_(std * std::sqrt(2.0));
    t.clamp_(a, b);
}

}  // namespace

RMSNormImpl::RMSNormImpl(int64_t size, double eps) : eps_(eps) {
    weight = register_parameter("weight", torch::ones({size}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
    if (cpu_kernels_serve(x) && weight.scalar_type() == x.scalar_type())
        return cpu_rms_norm(x, weight, eps_);
#ifdef LADDER_CUDA_FUSED
    if (cuda_kernels_serve(x))
        return cuda_rms_norm(x, weight, eps_);
#endif
    return rms_norm(x, weight, eps_);
}

torch::Tensor RotaryEmbedding::apply(const torch::Tensor& x) {
    const int64_t T = x.size(1);
    if (!sin_.defined() || sin_.size(0) != T || sin_.device() != x.device()) {
        const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(x.device());
        const torch::Tensor inv_freq =
            1.0 / torch::pow(theta_, torch::arange(0, head_dim_, 2, opts) / head_dim_);
        const torch::Tensor freqs = torch::outer(torch::arange(T, opts), inv_freq);  // [T, hd/2]
        const torch::Tensor positions = torch::cat({freqs, freqs}, -1);              // [T, hd]
        sin_ = positions.sin().unsqueeze(1);
        cos_ = positions.cos().unsqueeze(1);
#ifdef LADDER_CUDA_FUSED
        half_sin_ = freqs.sin();
        half_cos_ = freqs.cos();
#endif
    }
    if (cpu_kernels_serve(x))
        return cpu_rotary(x, cos_.squeeze(1).to(x.scalar_type()),
                          sin_.squeeze(1).to(x.scalar_type()));
#ifdef LADDER_CUDA_FUSED
    if (cuda_kernels_serve(x))
        return cuda_rotary(x, half_cos_, half_sin_);
#endif
    const torch::Tensor xf = x.to(torch::kFloat32);
    const auto halves = xf.chunk(2, -1);
    const torch::Tensor rotated = torch::cat({-halves[1], halves[0]}, -1);
    return (xf * cos_ + rotated * sin_).to(x.scalar_type());
}

AttentionImpl::AttentionImpl(const ModelSpec& spec, int64_t window,
                             std::shared_ptr<AttentionMasks> masks)
    : n_heads_(spec.n_heads),
      n_kv_heads_(spec.n_kv_heads),
      head_dim_(spec.head_dim),
      window_(window),
      rope_(spec.head_dim, spec.rope_theta),
      masks_(std::move(masks)) {
    const int64_t d = spec.d_model;
    w_q = register_module("w_q", linear(d, n_heads_ * head_dim_));
    w_k = register_module("w_k", linear(d, n_kv_heads_ * head_dim_));
    w_v = register_module("w_v", linear(d, n_kv_heads_ * head_dim_));
    w_out = register_module("w_out", linear(n_heads_ * head_dim_, d));
    if (spec.qk_norm) {
        q_norm = register_module("q_norm", RMSNorm(n_heads_ * head_dim_, spec.norm_eps));
        k_norm = register_module("k_norm", RMSNorm(n_kv_heads_ * head_dim_, spec.norm_eps));
    }
}

torch::Tensor AttentionMasks::get(int64_t T, int64_t window, const torch::TensorOptions& options) {
    torch::Tensor& mask = masks_[{T, window}];
    if (!mask.defined() || mask.device() != options.device() || mask.dtype() != options.dtype()) {
        const auto positions = options.dtype(torch::kInt64);
        const torch::Tensor query = torch::arange(T, positions).unsqueeze(1);
        const torch::Tensor key = torch::arange(T, positions).unsqueeze(0);
        // A query sees itself and the window - 1 keys before it (flash window (w-1, 0)).
        torch::Tensor visible = key <= query;
        if (window > 0)
            visible = visible & (query - key < window);
        mask = torch::zeros({T, T}, options)
                   .masked_fill(visible.logical_not(), -std::numeric_limits<float>::infinity());
    }
    return mask;
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x) {
    const int64_t B = x.size(0), T = x.size(1);
    torch::Tensor q = project(x, w_q->weight);  // [B, T, H*hd]
    torch::Tensor k = project(x, w_k->weight);  // [B, T, KV*hd]
    if (!q_norm.is_empty()) {
        q = q_norm(q);
        k = k_norm(k);
    }
    q = rope_.apply(q.view({B, T, n_heads_, head_dim_}));
    k = rope_.apply(k.view({B, T, n_kv_heads_, head_dim_}));
    const torch::Tensor v = project(x, w_v->weight).view({B, T, n_kv_heads_, head_dim_});
    const torch::Tensor mask =
        attention_reads_mask(q, window_) ? masks_->get(T, window_, q.options()) : torch::Tensor();
    const torch::Tensor out = causal_attention(q, k, v, mask, window_);
    return project(out.reshape({B, T, n_heads_ * head_dim_}), w_out->weight);
}

FeedForwardImpl::FeedForwardImpl(int64_t d_model, int64_t hidden) {
    w1 = register_module("w1", linear(d_model, hidden));
    w2 = register_module("w2", linear(hidden, d_model));
    w3 = register_module("w3", linear(d_model, hidden));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
    // ladder's fused SwiGLU takes w1's and w3's products side by side, from one product.
    const auto fused = [&](at::Tensor (*swiglu)(const at::Tensor&)) {
        return project(swiglu(project(x, at::cat({w1->weight, w3->weight}))), w2->weight);
    };
    if (cpu_kernels_serve(x))
        return fused(cpu_swiglu);
#ifdef LADDER_CUDA_FUSED
    if (cuda_kernels_serve(x))
        return fused(cuda_swiglu);
#endif
    return project(torch::silu(project(x, w1->weight)) * project(x, w3->weight), w2->weight);
}

BlockImpl::BlockImpl(const ModelSpec& spec, int64_t layer, std::shared_ptr<AttentionMasks> masks) {
    attention = register_module("attention", Attention(spec, spec.window(layer), std::move(masks)));
    attention_norm = register_module("attention_norm", RMSNorm(spec.d_model, spec.norm_eps));
    feed_forward = register_module("feed_forward", FeedForward(spec.d_model, spec.hidden_size));
    feed_forward_norm = register_module("feed_forward_norm", RMSNorm(spec.d_model, spec.norm_eps));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x) {
    const torch::Tensor h = x + attention_norm(attention(x));
    return h + feed_forward_norm(feed_forward(h));
}

LMHeadImpl::LMHeadImpl(int64_t d_model, int64_t vocab, double eps) {
    norm = register_module("norm", RMSNorm(d_model, eps));
    w_out = register_module("w_out", linear(d_model, vocab));
}

torch::Tensor LMHeadImpl::forward(const torch::Tensor& x) {
    return project(norm(x), w_out->weight);
}

TransformerImpl::TransformerImpl(const ModelSpec& spec) : spec_(spec) {
    embeddings = register_module("embeddings", torch::nn::Embedding(torch::nn::EmbeddingOptions(
                                                   spec.vocab_size, spec.d_model)));
    blocks = register_module("blocks", torch::nn::ModuleList());
    const auto masks = std::make_shared<AttentionMasks>();
    for (int64_t layer = 0; layer < spec.n_layers; ++layer)
        blocks->push_back(Block(spec, layer, masks));
    lm_head = register_module("lm_head", LMHead(spec.d_model, spec.vocab_size, spec.norm_eps));
}

void TransformerImpl::set_recomputed_blocks(std::vector<bool> recomputed) {
    if (!recomputed.empty() && static_cast<int64_t>(recomputed.size()) != spec_.n_layers) {
        throw std::invalid_argument("recomputed blocks: expected " +
                                    std::to_string(spec_.n_layers) + " flags, got " +
                                    std::to_string(recomputed.size()));
    }
    recomputed_ = std::move(recomputed);
}

torch::Tensor TransformerImpl::unit_forward(int64_t unit,
                                            const std::function<torch::Tensor()>& forward) {
    if (!hooks_)
        return forward();
    hooks_->before_forward(unit);
    return hooks_->after_forward(unit, forward());
}

torch::Tensor TransformerImpl::forward(const torch::Tensor& tokens) {
    const torch::Tensor h = hidden_states(tokens);
    return unit_forward(static_cast<int64_t>(blocks->size()) + 1, [&] { return lm_head(h); });
}

OutputLoss TransformerImpl::loss(const torch::Tensor& tokens, const torch::Tensor& labels,
                                 double z_multiplier) {
    const torch::Tensor h = hidden_states(tokens);
    OutputLoss out;
    unit_forward(static_cast<int64_t>(blocks->size()) + 1, [&] {
        const torch::Tensor normed = lm_head->norm(h);
        if (cpu_kernels_serve(normed)) {
            // The CPU keeps its logits and row kernels: its micro-batches are small, and
            // there the fused loss is slower and no smaller.
            const LossSums sums = loss_sums(project(normed, lm_head->w_out->weight), labels);
            out = {sums.ce + z_multiplier * sums.z, sums.ce.detach(), sums.z.detach()};
        } else {
            out = output_loss(normed.reshape({-1, normed.size(-1)}), lm_head->w_out->weight,
                              labels.reshape({-1}), z_multiplier);
        }
        return out.loss;
    });
    return out;
}

torch::Tensor TransformerImpl::target_log_probs(const torch::Tensor& tokens,
                                                const torch::Tensor& targets) {
    const torch::Tensor h = hidden_states(tokens);
    const torch::Tensor flat_targets = targets.reshape({-1});
    const torch::Tensor rows = (flat_targets >= 0).nonzero().squeeze(1);
    torch::Tensor sums = torch::zeros({tokens.size(0)}, h.options().dtype(torch::kFloat32));
    unit_forward(static_cast<int64_t>(blocks->size()) + 1, [&] {
        const torch::Tensor logits = lm_head(h.reshape({-1, h.size(-1)}).index_select(0, rows));
        const torch::Tensor log_p = at::log_softmax(logits.to(torch::kFloat32), -1)
                                        .gather(1, flat_targets.index_select(0, rows).unsqueeze(1))
                                        .squeeze(1);
        sums.index_add_(0, at::div(rows, tokens.size(1), "floor"), log_p);
        return logits;
    });
    return sums;
}

torch::Tensor TransformerImpl::hidden_states(const torch::Tensor& tokens) {
    torch::Tensor h = unit_forward(0, [&] { return embeddings(tokens); });  // [B, T, d]
    for (size_t i = 0; i < blocks->size(); ++i) {
        const std::shared_ptr<BlockImpl> block = blocks->ptr<BlockImpl>(i);
        // Without autograd (evaluation) there is nothing to keep or recompute.
        const bool recompute = !recomputed_.empty() && recomputed_[i] && h.requires_grad();
        h = unit_forward(static_cast<int64_t>(i) + 1, [&] {
            return recompute ? checkpointed(
                                   [block](const torch::Tensor& x) { return block->forward(x); }, h)
                             : block->forward(h);
        });
    }
    return h;
}

void TransformerImpl::initialize(uint64_t seed) {
    torch::NoGradGuard no_grad;
    torch::manual_seed(seed);
    const double std = 0.02;
    const auto init = [&](torch::Tensor weight) { trunc_normal_(weight, std, -3 * std, 3 * std); };
    init(embeddings->weight);
    for (const auto& module : *blocks) {
        const Block block = Block(std::dynamic_pointer_cast<BlockImpl>(module));
        for (const auto& w : {block->attention->w_q, block->attention->w_k, block->attention->w_v,
                              block->attention->w_out}) {
            init(w->weight);
        }
        for (const auto& w :
             {block->feed_forward->w1, block->feed_forward->w3, block->feed_forward->w2}) {
            init(w->weight);
        }
    }
    init(lm_head->w_out->weight);
    for (auto& item : named_parameters()) {
        if (item.key().find("norm") != std::string::npos)
            item.value().fill_(1.0);
    }
}

}  // namespace ladder::model
