// SkipStepAdamW against the update rule of olmo_core/optim/adamw.py (SkipStepAdamW.step),
// written out per element.
#include <ATen/ATen.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "optim/skip_step_adamw.hpp"

using namespace ladder::optim;

TEST_CASE("SkipStepAdamW takes AdamW steps with decoupled weight decay per group", "[optim]") {
    at::Tensor decayed = at::tensor({1.0, -2.0}).set_requires_grad(true);
    at::Tensor plain = at::tensor({0.5}).set_requires_grad(true);
    SkipStepAdamW optimizer({{{plain}, 0.0}, {{decayed}, 0.1}}, {0.9, 0.95, 1e-8});
    double p = 1.0, m = 0, v = 0;  // first element of `decayed`, by hand
    const double lr = 1e-2;
    for (int step = 1; step <= 3; ++step) {
        const double g = 0.3 * step;
        decayed.mutable_grad() = at::tensor({g, 1.0});
        plain.mutable_grad() = at::tensor({g});
        const at::Tensor taken = optimizer.step(lr, at::tensor(2.0), at::tensor(1.0));
        CHECK(taken.item<double>() == 1.0);
        p *= 1 - lr * 0.1;
        m = 0.9 * m + 0.1 * g;
        v = 0.95 * v + 0.05 * g * g;
        const double bc1 = 1 - std::pow(0.9, step), bc2 = 1 - std::pow(0.95, step);
        p -= lr / bc1 * m / (std::sqrt(v) / std::sqrt(bc2) + 1e-8);
        CHECK(decayed[0].item<double>() == Approx(p).epsilon(1e-6));
    }
    CHECK(optimizer.state().step.item<double>() == 3.0);
}

TEST_CASE("SkipStepAdamW skips an outlier loss after 64 steps and changes nothing", "[optim]") {
    at::Tensor w = at::tensor({1.0}).set_requires_grad(true);
    SkipStepAdamW optimizer({{{w}, 0.1}}, {0.9, 0.95, 1e-8});
    for (int step = 0; step < 64; ++step) {
        w.mutable_grad() = at::tensor({0.1});
        const double loss = 3.0 + 0.01 * (step % 5);
        CHECK(optimizer.step(1e-3, at::tensor(loss), at::tensor(1.0 + 0.01 * (step % 3)))
                  .item<double>() == 1.0);
    }
    const at::Tensor before = w.detach().clone();
    const at::Tensor m_before = optimizer.state().exp_avg[0].clone();
    w.mutable_grad() = at::tensor({0.1});
    CHECK(optimizer.step(1e-3, at::tensor(30.0), at::tensor(1.0)).item<double>() == 0.0);
    CHECK(w.detach().equal(before));
    CHECK(optimizer.state().exp_avg[0].equal(m_before));
    CHECK(optimizer.state().step.item<double>() == 64.0);
    // A huge gradient norm is skipped too.
    CHECK(optimizer.step(1e-3, at::tensor(3.0), at::tensor(50.0)).item<double>() == 0.0);
    CHECK(optimizer.step(1e-3, at::tensor(3.01), at::tensor(1.0)).item<double>() == 1.0);
}
