// The loss-law fit against data drawn from known laws.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "fit/loss_law.hpp"
#include "fit/task_law.hpp"
#include "util/statistics.hpp"

using ladder::fit::LossLaw;
using ladder::fit::Observation;

namespace {

// Chinchilla's published fit (Hoffmann et al. 2022, approach 3).
LossLaw chinchilla() {
    return {std::log(406.4), std::log(410.7), std::log(1.69), 0.34, 0.28};
}

// Nine sizes x six token multiples; `noise` is the sd of a multiplicative log-normal
// error, drawn from a fixed LCG so the data are the same on every run.
std::vector<Observation> ladder_rows(const LossLaw& law, double noise) {
    std::vector<Observation> rows;
    uint64_t state = 42;
    const auto normal = [&state] {  // Box-Muller on a 64-bit LCG
        const auto uniform = [&state] {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            return (static_cast<double>(state >> 11) + 0.5) / 9007199254740992.0;
        };
        const double u = uniform(), v = uniform();
        return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * v);
    };
    for (double n : {20e6, 40e6, 60e6, 100e6, 150e6, 250e6, 400e6, 700e6, 1e9}) {
        for (double multiple : {2.0, 5.0, 10.0, 20.0, 40.0, 80.0}) {
            const double d = n * multiple;
            rows.push_back({n, d, law.predict(n, d) * std::exp(noise * normal())});
        }
    }
    return rows;
}

// `sizes` sizes from 20M to 2B, each with `per_size` token counts from 2x to 80x its
// parameters, with the LCG's 0.3% noise.
std::vector<Observation> many_rows(const LossLaw& law, int sizes, int per_size) {
    std::vector<Observation> rows;
    uint64_t state = 7;
    for (int s = 0; s < sizes; ++s) {
        const double n = 20e6 * std::pow(100.0, s / (sizes - 1.0));
        for (int k = 0; k < per_size; ++k) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            const double noise = (static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5);
            const double d = n * 2 * std::pow(40.0, k / (per_size - 1.0));
            rows.push_back({n, d, law.predict(n, d) * (1 + 0.006 * noise)});
        }
    }
    return rows;
}

// The objective as written first, row by row with every logarithm and the largest term
// factored out: what the fast one must equal.
double reference_objective(const LossLaw& law, const std::vector<Observation>& rows, double delta,
                           double* gradient) {
    double total = 0;
    std::fill(gradient, gradient + 5, 0.0);
    for (const Observation& row : rows) {
        const double ln_n = std::log(row.n), ln_d = std::log(row.d);
        const double t1 = law.a - law.alpha * ln_n, t2 = law.b - law.beta * ln_d, t3 = law.e;
        const double top = std::max({t1, t2, t3});
        const double w1 = std::exp(t1 - top), w2 = std::exp(t2 - top), w3 = std::exp(t3 - top);
        const double sum = w1 + w2 + w3;
        const double r = top + std::log(sum) - std::log(row.loss);
        const double size = std::fabs(r);
        total += size <= delta ? 0.5 * r * r : delta * (size - 0.5 * delta);
        const double slope = size <= delta ? r : std::copysign(delta, r);
        gradient[0] += slope * w1 / sum;
        gradient[1] += slope * w2 / sum;
        gradient[2] += slope * w3 / sum;
        gradient[3] -= slope * w1 / sum * ln_n;
        gradient[4] -= slope * w2 / sum * ln_d;
    }
    return total;
}

}  // namespace

TEST_CASE("the objective's gradient matches finite differences", "[fit]") {
    const auto rows = ladder_rows(chinchilla(), 0.01);
    const LossLaw at{5.5, 6.2, 0.4, 0.3, 0.3};
    for (double delta : {1e-3, 1.0}) {
        double gradient[5];
        ladder::fit::huber_objective(at, rows, delta, gradient);
        for (int i = 0; i < 5; ++i) {
            auto plus = at.packed(), minus = at.packed();
            plus[i] += 1e-6;
            minus[i] -= 1e-6;
            const double numeric =
                (ladder::fit::huber_objective(LossLaw::unpack(plus.data()), rows, delta) -
                 ladder::fit::huber_objective(LossLaw::unpack(minus.data()), rows, delta)) /
                2e-6;
            INFO("delta " << delta << " parameter " << i);
            CHECK(gradient[i] == Approx(numeric).epsilon(1e-4).margin(1e-9));
        }
    }
}

TEST_CASE("a law is recovered exactly from exact data", "[fit]") {
    const LossLaw truth = chinchilla();
    const auto fit =
        ladder::fit::fit_loss_law(ladder_rows(truth, 0), 1e-3, ladder::fit::default_starts());
    REQUIRE(fit.converged);
    CHECK(fit.starts == 972);
    CHECK(fit.objective < 1e-12);
    CHECK(fit.law.A() == Approx(truth.A()).epsilon(1e-3));
    CHECK(fit.law.B() == Approx(truth.B()).epsilon(1e-3));
    CHECK(fit.law.E() == Approx(truth.E()).epsilon(1e-4));
    CHECK(fit.law.alpha == Approx(truth.alpha).epsilon(1e-4));
    CHECK(fit.law.beta == Approx(truth.beta).epsilon(1e-4));
}

TEST_CASE("with 0.3% noise the exponents and the extrapolation stay close", "[fit]") {
    const LossLaw truth = chinchilla();
    const auto rows = ladder_rows(truth, 0.003);
    const auto fit = ladder::fit::fit_loss_law(rows, 1e-3, ladder::fit::default_starts());
    REQUIRE(fit.converged);
    CHECK(fit.law.alpha == Approx(truth.alpha).margin(0.1));
    CHECK(fit.law.beta == Approx(truth.beta).margin(0.1));
    // 7B at 20 tokens per parameter: 35x the largest size in the data.
    CHECK(fit.law.predict(7e9, 140e9) == Approx(truth.predict(7e9, 140e9)).epsilon(0.02));

    // Bootstrap intervals are reproducible and cover the truth.
    const auto laws = ladder::fit::bootstrap_loss_law(rows, 1e-3, fit.law, 60, 7);
    REQUIRE(laws.size() >= 55);
    const auto again = ladder::fit::bootstrap_loss_law(rows, 1e-3, fit.law, 60, 7);
    REQUIRE(again.size() == laws.size());
    CHECK(again.back().alpha == laws.back().alpha);
    const auto interval = [&](auto get) {
        std::vector<double> values;
        for (const LossLaw& law : laws)
            values.push_back(get(law));
        return std::make_pair(ladder::quantile(values, 0.025), ladder::quantile(values, 0.975));
    };
    const auto alpha = interval([](const LossLaw& l) { return l.alpha; });
    const auto beta = interval([](const LossLaw& l) { return l.beta; });
    const auto loss_7b = interval([](const LossLaw& l) { return l.predict(7e9, 140e9); });
    CHECK(alpha.first <= truth.alpha);
    CHECK(truth.alpha <= alpha.second);
    CHECK(beta.first <= truth.beta);
    CHECK(truth.beta <= beta.second);
    CHECK(loss_7b.first <= truth.predict(7e9, 140e9));
    CHECK(truth.predict(7e9, 140e9) <= loss_7b.second);
}

TEST_CASE("the grid finds the optimum where a single start stalls", "[fit]") {
    const LossLaw truth = chinchilla();
    const auto rows = ladder_rows(truth, 0);
    // E far above every loss: the N and D terms carry no gradient, so L-BFGS only lowers E
    // and stops on a constant law.
    const auto single = ladder::fit::fit_loss_law(rows, 1e-3, {{0, 0, 3, 1, 1}});
    const auto grid = ladder::fit::fit_loss_law(rows, 1e-3, ladder::fit::default_starts());
    INFO("single start: objective " << single.objective << ", alpha " << single.law.alpha);
    CHECK(single.objective > 1e4 * grid.objective);
    CHECK(std::fabs(single.law.alpha - truth.alpha) > 0.1);
    CHECK(grid.law.alpha == Approx(truth.alpha).epsilon(1e-4));
}

TEST_CASE("compute-optimal N and D balance the two terms", "[fit]") {
    const LossLaw law = chinchilla();
    const double compute = 5.76e23;  // Chinchilla's budget
    const auto [n, d] = law.optimal(compute);
    CHECK(6 * n * d == Approx(compute));
    // Moving N either way at the same compute raises the loss.
    for (double factor : {0.9, 1.1})
        CHECK(law.predict(n * factor, d / factor) > law.predict(n, d));
}

TEST_CASE("the accuracy sigmoid is recovered from points on it", "[fit]") {
    // Four-way multiple choice: from 1 at zero loss down to chance 0.25.
    const ladder::fit::Sigmoid truth{-0.75, 6.0, 1.2, 1.0};
    std::vector<std::pair<double, double>> points;
    for (double loss = 0.6; loss <= 2.0 + 1e-9; loss += 0.05)
        points.emplace_back(loss, truth(loss));
    const auto fit = ladder::fit::fit_sigmoid(points, 1.0, truth(2.0));
    REQUIRE(fit.converged);
    CHECK(fit.law.a == Approx(truth.a).margin(1e-3));
    CHECK(fit.law.k == Approx(truth.k).epsilon(1e-3));
    CHECK(fit.law.l0 == Approx(truth.l0).epsilon(1e-3));
    CHECK(fit.law.b == Approx(truth.b).margin(1e-3));
    // Within the bounds the paper uses.
    CHECK(fit.law.a >= -1);
    CHECK(fit.law.a <= 0);
    CHECK(fit.law.b <= 1);
}

TEST_CASE("the accuracy sigmoid is recovered from more points than its grid's sample", "[fit]") {
    const ladder::fit::Sigmoid truth{-0.75, 6.0, 1.2, 1.0};
    std::vector<std::pair<double, double>> points;
    const size_t count = ladder::fit::kSigmoidGridPoints * 3;
    for (size_t i = 0; i < count; ++i) {
        const double loss = 0.6 + 1.4 * static_cast<double>((i * 7919) % count) / count;
        points.emplace_back(loss, truth(loss));
    }
    const auto fit = ladder::fit::fit_sigmoid(points, 1.0, truth(2.0));
    REQUIRE(fit.converged);
    CHECK(fit.law.a == Approx(truth.a).margin(1e-3));
    CHECK(fit.law.k == Approx(truth.k).epsilon(1e-3));
    CHECK(fit.law.l0 == Approx(truth.l0).epsilon(1e-3));
    CHECK(fit.law.b == Approx(truth.b).margin(1e-3));
}

TEST_CASE("a fit that reaches no finite objective says it did not converge", "[fit]") {
    auto rows = ladder_rows(chinchilla(), 0);
    rows.front().loss = std::numeric_limits<double>::infinity();
    const auto fit = ladder::fit::fit_loss_law(rows, 1e-3, ladder::fit::default_starts());
    CHECK_FALSE(fit.converged);
    CHECK(fit.status == "no start reached a finite objective");
}

TEST_CASE("the objective over many rows, in chunks and far off, equals the row-by-row sum",
          "[fit]") {
    // More rows than one chunk, in no particular order; then parameters whose terms leave
    // double range (e^800), which take the overflow-safe path.
    auto rows = many_rows(chinchilla(), 7, ladder::fit::kChunkRows / 5);
    std::reverse(rows.begin(), rows.end());
    REQUIRE(rows.size() > ladder::fit::kChunkRows);
    const ladder::fit::LogRows log_rows(rows);
    for (const LossLaw& at : {LossLaw{5.5, 6.2, 0.4, 0.3, 0.3}, chinchilla(),
                              LossLaw{800, 6.2, 0.4, 0.3, 0.3}, LossLaw{-800, -800, -800, 0, 0}}) {
        for (double delta : {1e-3, 1.0}) {
            INFO("a " << at.a << ", e " << at.e << ", delta " << delta);
            double expected_gradient[5], gradient[5];
            const double expected = reference_objective(at, rows, delta, expected_gradient);
            const double value = ladder::fit::huber_objective(at, log_rows, delta, gradient);
            REQUIRE(std::isfinite(value));
            CHECK(value == Approx(expected).epsilon(1e-10));
            for (int i = 0; i < 5; ++i)
                CHECK(gradient[i] == Approx(expected_gradient[i]).epsilon(1e-9).margin(1e-9));
        }
    }
}

TEST_CASE("above the grid's rows, the staged search ends at the optimum of every row", "[fit]") {
    // The grid runs on an even sample; its best end points are refitted on every row. The
    // result must be the minimum over all rows: no worse than L-BFGS from the truth itself.
    const LossLaw truth = chinchilla();
    const auto rows = many_rows(truth, 12, 400);
    REQUIRE(rows.size() > ladder::fit::kGridRows);
    const auto staged = ladder::fit::fit_loss_law(rows, 1e-3, ladder::fit::default_starts());
    REQUIRE(staged.converged);
    CHECK(staged.starts == 972);
    CHECK(staged.grid_rows == static_cast<int64_t>(ladder::fit::kGridRows));
    const auto from_truth = ladder::fit::fit_loss_law(rows, 1e-3, {truth});
    REQUIRE(from_truth.converged);
    CHECK(from_truth.grid_rows == static_cast<int64_t>(rows.size()));
    CHECK(staged.objective <= from_truth.objective * (1 + 1e-9));
    CHECK(staged.law.alpha == Approx(from_truth.law.alpha).epsilon(1e-4));
    CHECK(staged.law.beta == Approx(from_truth.law.beta).epsilon(1e-4));
    CHECK(staged.law.E() == Approx(from_truth.law.E()).epsilon(1e-4));
    CHECK(staged.law.alpha == Approx(truth.alpha).margin(0.01));
    // The same rows in another order: the same fit.
    auto shuffled = rows;
    std::reverse(shuffled.begin(), shuffled.end());
    const auto again = ladder::fit::fit_loss_law(shuffled, 1e-3, ladder::fit::default_starts());
    CHECK(again.law.alpha == Approx(staged.law.alpha).epsilon(1e-9));
}
