// ladder's CUDA kernels as the model calls them (model/cuda_fused.hpp) against the LibTorch
// ops they replace, values and gradients, fp32 and bf16; and a whole training step of a small
// model with them against the same step without them. Built in CUDA builds of LibTorch
// (elsewhere only compiled); without a GPU every test reports itself skipped.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/cuda.h>

#include <catch2/catch.hpp>
#include <vector>

#include "cuda/kernels.hpp"
#include "ladder/model_spec.hpp"
#include "model/cuda_fused.hpp"
#include "model/rms_norm.hpp"
#include "model/torch_compat.hpp"
#include "model/transformer.hpp"
#include "optim/skip_step_adamw.hpp"

using namespace ladder;

namespace {

#define REQUIRE_TORCH_DEVICE()               \
    do {                                     \
        if (!torch::cuda::is_available()) {  \
            WARN("no CUDA device: skipped"); \
            return;                          \
        }                                    \
    } while (false)

// Largest |a - b| / (|b| + 1), in fp32: within rounding of the dtype for values of any size.
double worst(const at::Tensor& a, const at::Tensor& b) {
    const at::Tensor af = a.to(at::kFloat), bf = b.to(at::kFloat);
    return ((af - bf).abs() / (bf.abs() + 1)).max().item<double>();
}

double tolerance(at::ScalarType dtype) {
    return dtype == at::kFloat ? 1e-5 : 2e-2;
}

// ours and reference, each from its own leaf copies of `inputs`, agree in value and in the
// gradients one random output gradient gives each input.
template <class Ours, class Reference>
void check_against(const std::vector<at::Tensor>& inputs, Ours ours, Reference reference,
                   double tol) {
    std::vector<at::Tensor> a, b;
    for (const at::Tensor& t : inputs) {
        a.push_back(t.detach().clone().requires_grad_(true));
        b.push_back(t.detach().clone().requires_grad_(true));
    }
    const at::Tensor out = ours(a), expected = reference(b);
    REQUIRE(out.sizes() == expected.sizes());
    REQUIRE(out.scalar_type() == expected.scalar_type());
    CHECK(worst(out, expected) < tol);
    const at::Tensor grad = at::randn_like(out);
    const auto grads = torch::autograd::grad({out}, a, {grad});
    const auto expected_grads = torch::autograd::grad({expected}, b, {grad});
    for (size_t i = 0; i < inputs.size(); ++i) {
        INFO("gradient of input " << i);
        REQUIRE(grads[i].scalar_type() == expected_grads[i].scalar_type());
        // A weight's gradient sums over every row: its rounding grows with their number.
        CHECK(worst(grads[i], expected_grads[i]) < tol * (i == 0 ? 1 : 20));
    }
}

const at::TensorOptions kCuda = at::TensorOptions().device(at::kCUDA);

}  // namespace

TEST_CASE("fused RMSNorm equals the LibTorch RMSNorm, fp32, bf16 and bf16 with an fp32 weight",
          "[cuda]") {
    REQUIRE_TORCH_DEVICE();
    for (const auto& [x_dtype, w_dtype] :
         std::vector<std::pair<at::ScalarType, at::ScalarType>>{{at::kFloat, at::kFloat},
                                                                {at::kBFloat16, at::kBFloat16},
                                                                {at::kBFloat16, at::kFloat}}) {
        for (const std::vector<int64_t>& shape :
             std::vector<std::vector<int64_t>>{{1, 1}, {3, 5, 33}, {2, 7, 4099}, {4, 16, 768}}) {
            INFO(c10::toString(x_dtype)
                 << " weight " << c10::toString(w_dtype) << ", width " << shape.back());
            const at::Tensor x = at::randn(shape, kCuda).mul(3).to(x_dtype);
            const at::Tensor w = at::rand({shape.back()}, kCuda).add(0.5).to(w_dtype);
            check_against(
                {x, w},
                [](const std::vector<at::Tensor>& t) {
                    return model::cuda_rms_norm(t[0], t[1], 1e-6);
                },
                [](const std::vector<at::Tensor>& t) { return model::rms_norm(t[0], t[1], 1e-6); },
                tolerance(x_dtype));
        }
    }
}

TEST_CASE("fused rotary embedding equals the rotate-half form", "[cuda]") {
    REQUIRE_TORCH_DEVICE();
    for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
        for (const auto& [heads, head_dim] :
             std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {3, 8}, {12, 64}, {4, 128}}) {
            INFO(c10::toString(dtype) << ", " << heads << " heads of " << head_dim);
            const int64_t B = 2, T = 37;
            const at::Tensor inv_freq =
                1.0 / at::pow(500000.0, at::arange(0, head_dim, 2, kCuda.dtype(at::kFloat)) /
                                            static_cast<double>(head_dim));
            const at::Tensor freqs = at::outer(at::arange(T, kCuda.dtype(at::kFloat)), inv_freq);
            const at::Tensor cos = freqs.cos(), sin = freqs.sin();
            const at::Tensor x = at::randn({B, T, heads, head_dim}, kCuda).to(dtype);
            check_against(
                {x},
                [&](const std::vector<at::Tensor>& t) {
                    return model::cuda_rotary(t[0], cos, sin);
                },
                [&](const std::vector<at::Tensor>& t) {
                    const at::Tensor full_cos = at::cat({cos, cos}, -1).unsqueeze(1);
                    const at::Tensor full_sin = at::cat({sin, sin}, -1).unsqueeze(1);
                    const at::Tensor xf = t[0].to(at::kFloat);
                    const auto halves = xf.chunk(2, -1);
                    const at::Tensor rotated = at::cat({-halves[1], halves[0]}, -1);
                    return (xf * full_cos + rotated * full_sin).to(dtype);
                },
                tolerance(dtype));
        }
    }
}

TEST_CASE("fused SwiGLU equals silu(a) * b", "[cuda]") {
    REQUIRE_TORCH_DEVICE();
    for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
        for (const int64_t hidden : {1, 37, 3072}) {
            INFO(c10::toString(dtype) << ", hidden " << hidden);
            const at::Tensor ab = at::randn({3, 5, 2 * hidden}, kCuda).mul(4).to(dtype);
            check_against(
                {ab}, [](const std::vector<at::Tensor>& t) { return model::cuda_swiglu(t[0]); },
                [](const std::vector<at::Tensor>& t) {
                    const auto halves = t[0].to(at::kFloat).chunk(2, -1);
                    return (at::silu(halves[0]) * halves[1]).to(t[0].scalar_type());
                },
                tolerance(dtype));
        }
    }
}

TEST_CASE("a training step with the fused kernels equals the step without them", "[cuda]") {
    REQUIRE_TORCH_DEVICE();
    ModelSpec spec;
    spec.family = "olmo3";
    spec.d_model = 64;
    spec.n_layers = 4;
    spec.n_heads = 4;
    spec.n_kv_heads = 2;
    spec.head_dim = 16;
    spec.hidden_size = 160;
    spec.vocab_size = 256;
    spec.window_pattern = {8, 8, 8, -1};
    const at::Tensor tokens = at::randint(0, 256, {3, 24}, kCuda.dtype(at::kLong));
    const at::Tensor labels = at::roll(tokens, -1, 1);
    for (const bool autocast : {false, true}) {
        INFO((autocast ? "bf16 autocast" : "fp32"));
        std::vector<std::vector<at::Tensor>> grads(2);
        std::vector<double> losses(2);
        for (const bool fused : {true, false}) {
            cuda::set_kernels_enabled(fused);
            model::Transformer m(spec);
            m->initialize(11);
            m->to(at::kCUDA);
            {
                const model::CudaBf16Autocast guard(autocast);
                const model::OutputLoss out = m->loss(tokens, labels, 1e-4);
                out.loss.backward();
                losses[fused] = out.loss.item<double>();
            }
            for (const auto& p : m->parameters())
                grads[fused].push_back(p.grad().clone());
        }
        cuda::set_kernels_enabled(true);
        const double tol = autocast ? 2e-2 : 1e-5;
        CHECK(std::abs(losses[1] - losses[0]) < tol * (1 + std::abs(losses[0])));
        for (size_t i = 0; i < grads[0].size(); ++i) {
            INFO("parameter " << i);
            const double scale = 1 + grads[0][i].abs().max().item<double>();
            CHECK((grads[1][i] - grads[0][i]).abs().max().item<double>() < tol * scale);
        }
    }
}

TEST_CASE("SkipStepAdamW's fused step equals its per-tensor step bit for bit, skips included",
          "[cuda]") {
    REQUIRE_TORCH_DEVICE();
    // Shapes of a small model's parameters; two groups as the train module makes them.
    const std::vector<std::vector<int64_t>> shapes = {{256, 64}, {64}, {160, 64}, {64, 160}, {7}};
    const auto make = [&](bool fused) {
        cuda::set_kernels_enabled(fused);
        std::vector<optim::ParamGroup> groups(2);
        groups[0].weight_decay = 0.1;
        for (size_t i = 0; i < shapes.size(); ++i) {
            at::manual_seed(static_cast<uint64_t>(i));
            groups[i % 2 == 0 ? 0 : 1].params.push_back(
                at::randn(shapes[i], kCuda).requires_grad_(true));
        }
        optim::AdamWSettings settings;
        settings.rolling_interval = 4;  // the skip rule decides from the third step on
        return optim::SkipStepAdamW(std::move(groups), settings);
    };
    optim::SkipStepAdamW fused = make(true), plain = make(false);
    // The fourth step's loss is an outlier: skipped.
    const std::vector<double> losses = {3.0, 3.1, 2.9, 300.0, 2.8, 2.85};
    for (size_t step = 0; step < losses.size(); ++step) {
        INFO("step " << step);
        for (auto* optimizer : {&fused, &plain}) {
            cuda::set_kernels_enabled(optimizer == &fused);
            at::manual_seed(100 + step);
            for (auto& group : optimizer->groups()) {
                for (const auto& p : group.params)
                    p.mutable_grad() = at::randn_like(p);
            }
            const at::Tensor factor =
                optimizer->step(1e-3, at::full({}, losses[step], kCuda), at::full({}, 1.0, kCuda));
            CHECK(factor.item<float>() == (step == 3 ? 0.0f : 1.0f));
        }
        for (size_t g = 0; g < 2; ++g) {
            for (size_t i = 0; i < fused.groups()[g].params.size(); ++i)
                CHECK(fused.groups()[g].params[i].equal(plain.groups()[g].params[i]));
        }
        for (size_t i = 0; i < fused.state().exp_avg.size(); ++i) {
            CHECK(fused.state().exp_avg[i].equal(plain.state().exp_avg[i]));
            CHECK(fused.state().exp_avg_sq[i].equal(plain.state().exp_avg_sq[i]));
        }
    }
    cuda::set_kernels_enabled(true);
}
