// The LibTorch model against the plan's counts and against naive references.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/utils.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "config/load.hpp"
#include "ladder/run_plan.hpp"
#include "model/activation_checkpoint.hpp"
#include "model/cpu_fused.hpp"
#include "model/loss.hpp"
#include "model/output_loss.hpp"
#include "model/rms_norm.hpp"
#include "model/torch_compat.hpp"
#include "model/transformer.hpp"

using namespace ladder;

namespace {

ModelSpec tiny_spec(int64_t n_heads = 4, int64_t n_kv_heads = 4,
                    std::vector<int64_t> windows = {}) {
    ModelSpec spec;
    spec.family = "olmo3";
    spec.d_model = 32;
    spec.n_layers = 2;
    spec.n_heads = n_heads;
    spec.n_kv_heads = n_kv_heads;
    spec.head_dim = 8;
    spec.hidden_size = 64;
    spec.vocab_size = 128;
    spec.window_pattern = std::move(windows);
    return spec;
}

int64_t parameter_count(model::Transformer& m) {
    int64_t n = 0;
    for (const auto& p : m->parameters())
        n += p.numel();
    return n;
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

// ours and reference, computed from the same inputs, agree within tolerance in value and in
// the gradients that one random output gradient gives each input.
void check_values_and_gradients(const at::Tensor& ours, const at::Tensor& reference,
                                const std::vector<at::Tensor>& inputs, double tolerance) {
    REQUIRE(ours.sizes() == reference.sizes());
    CHECK(max_abs_diff(ours, reference) < tolerance);
    const at::Tensor grad_out = at::randn_like(ours);
    const auto ours_grads = torch::autograd::grad({ours}, inputs, {grad_out});
    const auto reference_grads = torch::autograd::grad({reference}, inputs, {grad_out});
    for (size_t i = 0; i < inputs.size(); ++i) {
        INFO("gradient of input " << i);
        CHECK(max_abs_diff(ours_grads[i], reference_grads[i]) < tolerance);
    }
}

// Attention spelled out with loops over heads and positions. q: [B, T, H, hd], k and v:
// [B, T, KV, hd].
at::Tensor naive_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           int64_t window) {
    const int64_t B = q.size(0), T = q.size(1), H = q.size(2), hd = q.size(3);
    const int64_t group = H / k.size(2);
    at::Tensor out = at::zeros_like(q);
    for (int64_t b = 0; b < B; ++b) {
        for (int64_t h = 0; h < H; ++h) {
            const at::Tensor keys = k[b].select(1, h / group), values = v[b].select(1, h / group);
            for (int64_t i = 0; i < T; ++i) {
                const int64_t first = window > 0 ? std::max<int64_t>(0, i - window + 1) : 0;
                const at::Tensor scores =
                    at::matmul(keys.narrow(0, first, i - first + 1), q[b][i][h]) /
                    std::sqrt(double(hd));
                out[b][i][h] =
                    at::matmul(at::softmax(scores, 0), values.narrow(0, first, i - first + 1));
            }
        }
    }
    return out;
}

// 0 where query i may see key j (j <= i, and i - j < window when window > 0), else -inf.
at::Tensor additive_mask(int64_t T, int64_t window) {
    const at::Tensor query = at::arange(T).unsqueeze(1), key = at::arange(T).unsqueeze(0);
    at::Tensor visible = key <= query;
    if (window > 0)
        visible = visible & (query - key < window);
    return at::zeros({T, T}, at::kDouble).masked_fill(visible.logical_not(), -INFINITY);
}

// The same in differentiable whole-tensor ops, as a plain PyTorch model writes it.
at::Tensor spelled_out_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                 const at::Tensor& mask) {
    const int64_t group = q.size(2) / k.size(2);
    const at::Tensor qt = q.transpose(1, 2);
    const at::Tensor kt = k.transpose(1, 2).repeat_interleave(group, 1);
    const at::Tensor vt = v.transpose(1, 2).repeat_interleave(group, 1);
    const at::Tensor scores = at::matmul(qt, kt.transpose(-2, -1)) / std::sqrt(double(q.size(3)));
    return at::matmul(at::softmax(scores + mask, -1), vt).transpose(1, 2);
}

}  // namespace

TEST_CASE("the model has exactly the plan's parameter count", "[model]") {
    const auto config = config::load_config(std::nullopt, {});
    for (const std::string size : {"1M", "14M", "30M", "60M", "100M", "190M"}) {
        INFO(size);
        const ModelSpec spec = *find_model_spec(config, size);
        model::Transformer m(spec);
        CHECK(parameter_count(m) == spec.num_params());
    }
}

TEST_CASE("parameter names follow OLMo-core", "[model]") {
    model::Transformer m(tiny_spec());
    std::vector<std::string> names;
    for (const auto& item : m->named_parameters())
        names.push_back(item.key());
    CHECK(names.front() == "embeddings.weight");
    CHECK(std::find(names.begin(), names.end(), "blocks.1.attention.q_norm.weight") != names.end());
    CHECK(std::find(names.begin(), names.end(), "blocks.0.feed_forward_norm.weight") !=
          names.end());
    CHECK(names.back() == "lm_head.w_out.weight");
}

TEST_CASE("output shape and causality: a future token never changes an earlier logit", "[model]") {
    model::Transformer m(tiny_spec(4, 2, {3, -1}));
    m->initialize(0);
    torch::NoGradGuard no_grad;
    at::Tensor tokens = at::randint(0, 128, {2, 12}, at::kLong);
    const at::Tensor logits = m->forward(tokens);
    CHECK(logits.sizes() == at::IntArrayRef({2, 12, 128}));
    at::Tensor changed = tokens.clone();
    changed.narrow(1, 7, 5).random_(0, 128);
    const at::Tensor again = m->forward(changed);
    CHECK(max_abs_diff(logits.narrow(1, 0, 7), again.narrow(1, 0, 7)) == 0.0);
    CHECK(max_abs_diff(logits.narrow(1, 7, 5), again.narrow(1, 7, 5)) > 0.0);
}

TEST_CASE("init: truncated normal with std 0.02, norms 1", "[model]") {
    const auto config = config::load_config(std::nullopt, {});
    model::Transformer m(*find_model_spec(config, "14M"));
    m->initialize(42);
    const at::Tensor e = m->embeddings->weight;
    CHECK(e.std().item<double>() ==
          Approx(0.02 * 0.9866).epsilon(0.01));  // std of N truncated at 3 sigma
    CHECK(e.abs().max().item<double>() <= 0.06 + 1e-7);
    for (const auto& item : m->named_parameters()) {
        if (item.key().find("norm") != std::string::npos)
            CHECK(item.value().eq(1).all().item<bool>());
    }
    model::Transformer same(*find_model_spec(config, "14M"));
    same->initialize(42);
    CHECK(max_abs_diff(same->lm_head->w_out->weight, m->lm_head->w_out->weight) == 0.0);
}

TEST_CASE("attention matches a naive reference, with sliding windows and GQA", "[model]") {
    torch::manual_seed(1);
    // T = 150 spans three of the CPU kernel's query blocks, the last one partial, and the
    // windows cut key ranges mid-block.
    for (int64_t T : {9, 150}) {
        for (int64_t kv_heads : {4, 2}) {
            for (int64_t window : {-1, 1, 3, 70, 150}) {
                INFO("T " << T << ", KV heads " << kv_heads << ", window " << window);
                const at::Tensor q = at::randn({2, T, 4, 8}, at::kDouble).requires_grad_();
                const at::Tensor k = at::randn({2, T, kv_heads, 8}, at::kDouble).requires_grad_();
                const at::Tensor v = at::randn({2, T, kv_heads, 8}, at::kDouble).requires_grad_();
                const at::Tensor mask = additive_mask(T, window);
                const at::Tensor ours = model::causal_attention(q, k, v, mask, window);
                const at::Tensor reference = spelled_out_attention(q, k, v, mask);
                CHECK(max_abs_diff(ours, reference) < 1e-12);

                const at::Tensor grad_out = at::randn_like(ours);
                const auto ours_grads = torch::autograd::grad({ours}, {q, k, v}, {grad_out});
                const auto reference_grads =
                    torch::autograd::grad({reference}, {q, k, v}, {grad_out});
                for (size_t i = 0; i < 3; ++i)
                    CHECK(max_abs_diff(ours_grads[i], reference_grads[i]) < 1e-12);
                if (T == 9 || window == 70) {
                    torch::NoGradGuard no_grad;
                    CHECK(max_abs_diff(ours, naive_attention(q, k, v, window)) < 1e-12);
                }
                // In float, the kernel's own exp: within float rounding of the math in double.
                const at::Tensor q32 = q.detach().to(at::kFloat).requires_grad_();
                const at::Tensor k32 = k.detach().to(at::kFloat).requires_grad_();
                const at::Tensor v32 = v.detach().to(at::kFloat).requires_grad_();
                const at::Tensor ours32 = model::causal_attention(q32, k32, v32, mask, window);
                CHECK(max_abs_diff(ours32.to(at::kDouble), reference) < 1e-5);
                const auto grads32 =
                    torch::autograd::grad({ours32}, {q32, k32, v32}, {grad_out.to(at::kFloat)});
                for (size_t i = 0; i < 3; ++i)
                    CHECK(max_abs_diff(grads32[i].to(at::kDouble), reference_grads[i]) < 1e-4);
            }
        }
    }
}

TEST_CASE("linear layers: values and gradients match x W^T, split across threads", "[model]") {
    torch::manual_seed(2);
    // Three threads: 300 rows cut into three tiles of rows; 2 rows, too few to cut, into tiles
    // of columns (of 33 outputs, or 17 inputs backward).
    const int threads = at::get_num_threads();
    at::set_num_threads(3);
    for (int64_t rows : {1, 2, 300}) {
        for (int64_t out : {1, 33}) {
            INFO("rows " << rows << ", out " << out);
            // A transposed view: the kernel must read it as the values, not the memory.
            const at::Tensor x = at::randn({rows, 2, 17}, at::kDouble).transpose(0, 1);
            x.requires_grad_();
            const at::Tensor w = at::randn({out, 17}, at::kDouble).requires_grad_();
            check_values_and_gradients(model::project(x, w), at::matmul(x, w.t()), {x, w}, 1e-12);
        }
    }
    // Only the weight's gradient asked for, as for a layer fed by a constant.
    const at::Tensor x = at::randn({5, 8}, at::kDouble);
    const at::Tensor w = at::randn({3, 8}, at::kDouble).requires_grad_();
    const at::Tensor grad_out = at::randn({5, 3}, at::kDouble);
    CHECK(max_abs_diff(torch::autograd::grad({model::project(x, w)}, {w}, {grad_out})[0],
                       grad_out.t().matmul(x)) < 1e-12);
    at::set_num_threads(threads);
}

TEST_CASE("fused CPU RMSNorm, rotary embedding and SwiGLU: values and gradients match the ops",
          "[model]") {
    torch::manual_seed(3);
    const at::Tensor x = at::randn({2, 5, 3, 8}, at::kDouble).requires_grad_();
    const at::Tensor weight = (at::rand({24}, at::kDouble) + 0.5).requires_grad_();
    const at::Tensor flat = x.reshape({2, 5, 24});
    check_values_and_gradients(model::cpu_rms_norm(flat, weight, 1e-6),
                               flat * at::rsqrt(flat.pow(2).mean(-1, true) + 1e-6) * weight,
                               {x, weight}, 1e-12);

    const at::Tensor angles = at::rand({5, 8}, at::kDouble) * 6;
    const at::Tensor cos = angles.cos(), sin = angles.sin();
    const auto halves = x.chunk(2, -1);
    check_values_and_gradients(
        model::cpu_rotary(x, cos, sin),
        x * cos.unsqueeze(1) + at::cat({-halves[1], halves[0]}, -1) * sin.unsqueeze(1), {x}, 1e-12);

    const at::Tensor ab = at::randn({2, 5, 12}, at::kDouble).requires_grad_();
    check_values_and_gradients(model::cpu_swiglu(ab),
                               at::silu(ab.narrow(-1, 0, 6)) * ab.narrow(-1, 6, 6), {ab}, 1e-12);

    // In float the kernel's own exp: within float rounding of the math in double. 37 hidden
    // units: vector-wide steps and a remainder; inputs far enough out to reach exp's clamps.
    const at::Tensor ab32 = (at::randn({3, 7, 74}) * 30).requires_grad_();
    const at::Tensor ab64 = ab32.detach().to(at::kDouble).requires_grad_();
    const at::Tensor gated32 = model::cpu_swiglu(ab32);
    const at::Tensor gated64 = at::silu(ab64.narrow(-1, 0, 37)) * ab64.narrow(-1, 37, 37);
    const at::Tensor scale64 = gated64.abs() + 1;
    CHECK(max_abs_diff(gated32.to(at::kDouble) / scale64, gated64 / scale64) < 1e-6);
    const at::Tensor grad32 = at::randn_like(gated32);
    const at::Tensor d_ab32 = torch::autograd::grad({gated32}, {ab32}, {grad32})[0];
    const at::Tensor d_ab64 = torch::autograd::grad({gated64}, {ab64}, {grad32.to(at::kDouble)})[0];
    CHECK(max_abs_diff(d_ab32.to(at::kDouble) / (d_ab64.abs() + 1), d_ab64 / (d_ab64.abs() + 1)) <
          1e-6);
}

TEST_CASE("RMSNorm off the CPU kernels: fp32 math, keeping only its input for backward",
          "[model]") {
    torch::manual_seed(4);
    // In fp32 inside: within float rounding of the math in double (dw sums 15 rows).
    const at::Tensor x = at::randn({3, 5, 24}, at::kDouble).requires_grad_();
    const at::Tensor weight = (at::rand({24}, at::kDouble) + 0.5).requires_grad_();
    check_values_and_gradients(model::rms_norm(x, weight, 1e-6),
                               x * at::rsqrt(x.pow(2).mean(-1, true) + 1e-6) * weight, {x, weight},
                               1e-5);
    // bf16, as on a GPU: the values of autograd's fp32 ops exactly, gradients to bf16's
    // rounding.
    const at::Tensor xb = at::randn({6, 32}).to(at::kBFloat16).requires_grad_();
    const at::Tensor wb = (at::rand({32}) + 0.5).to(at::kBFloat16).requires_grad_();
    const at::Tensor xf = xb.to(at::kFloat);
    const at::Tensor reference =
        (xf * at::rsqrt(xf.pow(2).mean(-1, true) + 1e-6) * wb.to(at::kFloat)).to(at::kBFloat16);
    const at::Tensor ours = model::rms_norm(xb, wb, 1e-6);
    CHECK(at::equal(ours, reference));
    const at::Tensor grad_out = at::randn_like(ours);
    const auto ours_grads = torch::autograd::grad({ours}, {xb, wb}, {grad_out});
    const auto reference_grads = torch::autograd::grad({reference}, {xb, wb}, {grad_out});
    for (size_t i = 0; i < 2; ++i) {
        INFO("gradient of input " << i);
        const at::Tensor a = ours_grads[i].to(at::kFloat), b = reference_grads[i].to(at::kFloat);
        CHECK(((a - b).abs() / (b.abs() + 1)).max().item<double>() < 2e-2);
    }
}

TEST_CASE("GQA layer equals MHA with repeated key/value heads", "[model]") {
    torch::NoGradGuard no_grad;
    model::Attention gqa(tiny_spec(4, 2), -1);
    model::Attention mha(tiny_spec(4, 4), -1);
    mha->w_q->weight.copy_(gqa->w_q->weight);
    mha->w_out->weight.copy_(gqa->w_out->weight);
    // Heads (0,1) share KV head 0 and (2,3) share KV head 1.
    const auto repeat = [](const at::Tensor& w) {
        return w.view({2, 8, 32}).repeat_interleave(2, 0).reshape({32, 32});
    };
    mha->w_k->weight.copy_(repeat(gqa->w_k->weight));
    mha->w_v->weight.copy_(repeat(gqa->w_v->weight));
    mha->k_norm->weight.copy_(
        gqa->k_norm->weight.view({2, 8}).repeat_interleave(2, 0).reshape({32}));
    const at::Tensor x = at::randn({1, 6, 32});
    // k_norm normalises over all KV heads at once, so repeating heads keeps its statistics.
    CHECK(max_abs_diff(gqa->forward(x), mha->forward(x)) < 1e-5);
}

TEST_CASE("RoPE rotates each pair (j, j + hd/2) by position * theta^(-2j/hd)", "[model]") {
    model::RotaryEmbedding rope(8, 500000.0);
    const at::Tensor x = at::randn({1, 5, 2, 8});
    const at::Tensor ours = rope.apply(x);
    at::Tensor expected = at::zeros_like(x);
    for (int64_t t = 0; t < 5; ++t) {
        for (int64_t h = 0; h < 2; ++h) {
            for (int64_t j = 0; j < 4; ++j) {
                const double angle = t * std::pow(500000.0, -2.0 * j / 8);
                const double a = x[0][t][h][j].item<double>(), b = x[0][t][h][j + 4].item<double>();
                expected[0][t][h][j] = a * std::cos(angle) - b * std::sin(angle);
                expected[0][t][h][j + 4] = b * std::cos(angle) + a * std::sin(angle);
            }
        }
    }
    CHECK(max_abs_diff(ours, expected) < 1e-5);
}

TEST_CASE("loss sums: CE and z-loss on a hand example", "[model]") {
    // Two positions over a vocabulary of 3; the second label is ignored.
    const at::Tensor logits = at::tensor({0.0, 1.0, 2.0, 5.0, 5.0, 5.0}).view({1, 2, 3});
    const at::Tensor labels = at::tensor({2, -100}, at::kLong).view({1, 2});
    const model::LossSums sums = model::loss_sums(logits, labels);
    const double lse = std::log(std::exp(0.0) + std::exp(1.0) + std::exp(2.0));
    CHECK(sums.ce.item<double>() == Approx(lse - 2.0));
    CHECK(sums.z.item<double>() == Approx(lse * lse));
}

TEST_CASE("loss sums, taken a few rows at a time, match autograd's values and gradients",
          "[model]") {
    at::manual_seed(5);
    // A vocabulary of 37: the CPU row kernels' 16-wide steps and a remainder.
    const at::Tensor logits = at::randn({3, 7, 37}) * 4;
    at::Tensor labels = at::randint(0, 37, {3, 7}, at::kLong);
    labels[0][6] = model::kIgnoreIndex;
    labels[2][3] = model::kIgnoreIndex;
    // The reference: the loss spelled out in differentiable ops.
    const at::Tensor ref_logits = logits.clone().requires_grad_(true);
    const at::Tensor mask = (labels != model::kIgnoreIndex).to(at::kFloat);
    const at::Tensor lse = at::logsumexp(ref_logits, -1);
    const at::Tensor target = ref_logits.gather(-1, labels.clamp_min(0).unsqueeze(-1)).squeeze(-1);
    const at::Tensor ref_ce = ((lse - target) * mask).sum(), ref_z = (lse.pow(2) * mask).sum();
    (ref_ce / 19 + 0.3 * ref_z).backward();
    // Blocks of 4 rows: 21 rows in 6 blocks, the last one short.
    const at::Tensor ours_logits = logits.clone().requires_grad_(true);
    const model::LossSums sums = model::loss_sums(ours_logits, labels, 4 * 37);
    (sums.ce / 19 + 0.3 * sums.z).backward();
    CHECK(sums.ce.item<double>() == Approx(ref_ce.item<double>()).epsilon(1e-6));
    CHECK(sums.z.item<double>() == Approx(ref_z.item<double>()).epsilon(1e-6));
    CHECK(max_abs_diff(ours_logits.grad(), ref_logits.grad()) <
          1e-6 * ref_logits.grad().abs().max().item<double>());
    // Ignored positions get no gradient; logits in bf16 get their gradient in bf16.
    CHECK(ours_logits.grad()[0][6].abs().max().item<double>() == 0);
    const at::Tensor half = logits.to(at::kBFloat16).requires_grad_(true);
    model::loss_sums(half, labels).ce.backward();
    CHECK(half.grad().scalar_type() == at::kBFloat16);
}

TEST_CASE("the fused output loss matches projection plus loss, values and gradients", "[model]") {
    torch::manual_seed(7);
    const at::Tensor hidden = at::randn({23, 16}).requires_grad_();
    const at::Tensor weight = (at::randn({37, 16}) * 0.5).requires_grad_();
    at::Tensor labels = at::randint(0, 37, {23}, at::kLong);
    labels.narrow(0, 4, 3).fill_(model::kIgnoreIndex);
    const double m = 1e-2;
    // Blocks of 5 rows (37 * 5 elements): four whole blocks and a remainder.
    const model::OutputLoss fused = model::output_loss(hidden, weight, labels, m, 37 * 5);
    const model::LossSums reference =
        model::loss_sums(model::project(hidden, weight).unsqueeze(0), labels.unsqueeze(0));
    CHECK(fused.ce.item<double>() == Approx(reference.ce.item<double>()).epsilon(1e-6));
    CHECK(fused.z.item<double>() == Approx(reference.z.item<double>()).epsilon(1e-6));
    CHECK_FALSE(fused.ce.requires_grad());
    const auto ours = torch::autograd::grad({fused.loss * 3}, {hidden, weight});
    const auto expected =
        torch::autograd::grad({(reference.ce + m * reference.z) * 3}, {hidden, weight});
    for (size_t i = 0; i < 2; ++i) {
        INFO("gradient of input " << i);
        CHECK(max_abs_diff(ours[i], expected[i]) < 1e-5);
    }
    // Without autograd it computes the sums alone.
    torch::NoGradGuard no_grad;
    CHECK(model::output_loss(hidden, weight, labels, m).ce.item<double>() ==
          Approx(reference.ce.item<double>()).epsilon(1e-6));
}

TEST_CASE("labels are the next tokens, the last position and padding ignored, no id special",
          "[model]") {
    // 3 is the pad id and the EOS (as gpt2's 50256): a label like any other.
    const at::Tensor tokens = at::tensor({5, 6, 3, 7, 9, 3, 3, 3}, at::kLong).view({2, 4});
    CHECK(model::next_token_labels(tokens).equal(
        at::tensor({6, 3, 7, -100, 3, 3, 3, -100}, at::kLong).view({2, 4})));
    // The second instance owns 2 tokens (9, EOS), the rest is padding: one label.
    const at::Tensor lengths = at::tensor({4, 2}, at::kLong);
    CHECK(model::next_token_labels(tokens, lengths)
              .equal(at::tensor({6, 3, 7, -100, 3, -100, -100, -100}, at::kLong).view({2, 4})));
}

TEST_CASE("gradient accumulation: 1x8 and 4x2 micro-batches give the same gradients", "[model]") {
    const ModelSpec spec = tiny_spec(4, 2, {4, -1});
    const at::Tensor tokens = at::randint(0, 128, {8, 10}, at::kLong);
    const at::Tensor labels = model::next_token_labels(tokens);
    const double count = (labels != model::kIgnoreIndex).sum().item<double>();
    std::vector<at::Tensor> grads[2];
    for (int split = 0; split < 2; ++split) {
        model::Transformer m(spec);
        m->initialize(3);
        const int64_t micro = split == 0 ? 8 : 2;
        for (int64_t start = 0; start < 8; start += micro) {
            const auto sums = model::loss_sums(m->forward(tokens.narrow(0, start, micro)),
                                               labels.narrow(0, start, micro));
            ((sums.ce + 1e-5 * sums.z) / count).backward();
        }
        for (const auto& p : m->parameters())
            grads[split].push_back(p.grad().clone());
    }
    for (size_t i = 0; i < grads[0].size(); ++i) {
        INFO("parameter " << i);
        CHECK(max_abs_diff(grads[0][i], grads[1][i]) <=
              1e-6 * (1 + grads[0][i].abs().max().item<double>()));
    }
}

TEST_CASE("activation checkpointing: every pattern of recomputed blocks gives the same gradients",
          "[model]") {
    ModelSpec spec = tiny_spec(4, 2, {4, -1});
    spec.n_layers = 4;
    const at::Tensor tokens = at::randint(0, 128, {3, 10}, at::kLong);
    const at::Tensor labels = model::next_token_labels(tokens);
    const auto gradients = [&](std::vector<bool> recomputed, int* hook_calls) {
        model::Transformer m(spec);
        m->initialize(5);
        m->set_recomputed_blocks(std::move(recomputed));
        // The data-parallel reducer counts on each parameter's hook running once per backward.
        m->blocks[1]->as<model::Block>()->feed_forward->w2->weight.register_hook(
            [hook_calls](const at::Tensor& grad) {
                ++*hook_calls;
                return grad;
            });
        const auto sums = model::loss_sums(m->forward(tokens), labels);
        (sums.ce + 1e-4 * sums.z).backward();
        std::vector<at::Tensor> grads;
        for (const auto& p : m->parameters())
            grads.push_back(p.grad().clone());
        return grads;
    };
    int plain_calls = 0;
    const std::vector<at::Tensor> plain = gradients({}, &plain_calls);
    CHECK(plain_calls == 1);
    for (const std::vector<bool>& pattern : std::vector<std::vector<bool>>{
             {true, true, true, true}, {true, false, true, false}, {false, true, false, false}}) {
        int calls = 0;
        const std::vector<at::Tensor> grads = gradients(pattern, &calls);
        CHECK(calls == 1);
        for (size_t i = 0; i < plain.size(); ++i) {
            INFO("parameter " << i << ", blocks " << pattern[0] << pattern[1] << pattern[2]
                              << pattern[3]);
            CHECK(at::equal(grads[i], plain[i]));
        }
    }
}

TEST_CASE("a checkpointed function runs again in backward and gives autograd's gradients",
          "[model]") {
    const at::Tensor w = at::randn({6, 6}, at::kDouble).requires_grad_(true);
    int runs = 0;
    const model::BlockForward block = [&](const at::Tensor& x) {
        ++runs;
        return at::tanh(at::matmul(x, w)) * x;
    };
    const at::Tensor x0 = at::randn({4, 6}, at::kDouble);
    const at::Tensor grad_out = at::randn({4, 6}, at::kDouble);

    const at::Tensor x = x0.clone().requires_grad_(true);
    block(x).backward(grad_out);
    const at::Tensor expected_x = x.grad().clone(), expected_w = w.grad().clone();
    w.mutable_grad() = at::Tensor();
    runs = 0;

    const at::Tensor xc = x0.clone().requires_grad_(true);
    const at::Tensor out = model::checkpointed(block, xc);
    CHECK(runs == 1);
    out.backward(grad_out);
    CHECK(runs == 2);
    CHECK(at::allclose(xc.grad(), expected_x, 0, 1e-14));
    CHECK(at::allclose(w.grad(), expected_w, 0, 1e-14));
}
