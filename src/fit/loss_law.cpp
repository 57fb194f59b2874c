#include "fit/loss_law.hpp"

#include <nlopt.h>

#include "fit/nlopt_status.hpp"
#include "util/split_mix64.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ladder::fit {

double LossLaw::A() const {
    return std::exp(a);
}
double LossLaw::B() const {
    return std::exp(b);
}
double LossLaw::E() const {
    return std::exp(e);
}

double LossLaw::predict(double n, double d) const {
    return E() + A() / std::pow(n, alpha) + B() / std::pow(d, beta);
}

std::pair<double, double> LossLaw::optimal(double compute) const {
    // Minimising A N^-alpha + B D^-beta with D = C / (6N):
    // N* = G (C/6)^(beta / (alpha + beta)), G = (alpha A / (beta B))^(1 / (alpha + beta)).
    const double g = std::pow(alpha * A() / (beta * B()), 1.0 / (alpha + beta));
    const double n = g * std::pow(compute / 6.0, beta / (alpha + beta));
    return {n, compute / (6.0 * n)};
}

std::vector<LossLaw> default_starts() {
    std::vector<LossLaw> starts;
    for (double a = 0; a <= 25; a += 5)
        for (double b = 0; b <= 25; b += 5)
            for (double e : {-1.0, 0.0, 1.0})
                for (double alpha : {0.2, 0.5, 1.0})
                    for (double beta : {0.2, 0.5, 1.0})
                        starts.push_back({a, b, e, alpha, beta});
    return starts;
}

double huber_objective(const LossLaw& law, const std::vector<Observation>& rows, double delta,
                       double* gradient) {
    double total = 0;
    if (gradient)
        std::fill(gradient, gradient + 5, 0.0);
    for (const Observation& row : rows) {
        const double ln_n = std::log(row.n), ln_d = std::log(row.d);
        const double t1 = law.a - law.alpha * ln_n, t2 = law.b - law.beta * ln_d, t3 = law.e;
        const double top = std::max({t1, t2, t3});
        const double w1 = std::exp(t1 - top), w2 = std::exp(t2 - top), w3 = std::exp(t3 - top);
        const double sum = w1 + w2 + w3;
        const double r = top + std::log(sum) - std::log(row.loss);  // ln predicted - ln observed
        const double size = std::fabs(r);
        total += size <= delta ? 0.5 * r * r : delta * (size - 0.5 * delta);
        if (gradient) {
            const double slope = size <= delta ? r : std::copysign(delta, r);
            gradient[0] += slope * w1 / sum;
            gradient[1] += slope * w2 / sum;
            gradient[2] += slope * w3 / sum;
            gradient[3] -= slope * w1 / sum * ln_n;
            gradient[4] -= slope * w2 / sum * ln_d;
        }
    }
    return total;
}

namespace {

struct Problem {
    const std::vector<Observation>* rows;
    double delta;
};

double nlopt_objective(unsigned, const double* x, double* gradient, void* data) {
    const auto* problem = static_cast<const Problem*>(data);
    return huber_objective(LossLaw::unpack(x), *problem->rows, problem->delta, gradient);
}

}  // namespace

LossLawFit fit_loss_law(const std::vector<Observation>& rows, double delta,
                        const std::vector<LossLaw>& starts) {
    Problem problem{&rows, delta};
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, 5);
    const double inf = std::numeric_limits<double>::infinity();
    const double lower[5] = {-inf, -inf, -inf, 0.0, 0.0};
    nlopt_set_lower_bounds(opt, lower);
    nlopt_set_min_objective(opt, nlopt_objective, &problem);
    nlopt_set_ftol_rel(opt, 1e-14);
    nlopt_set_xtol_rel(opt, 1e-10);
    nlopt_set_maxeval(opt, 20000);

    LossLawFit best;
    best.objective = inf;
    for (const LossLaw& start : starts) {
        std::array<double, 5> x = start.packed();
        double value = inf;
        const nlopt_result result = nlopt_optimize(opt, x.data(), &value);
        if (!std::isfinite(value) || value >= best.objective)
            continue;
        best.law = LossLaw::unpack(x.data());
        best.objective = value;
        best.converged = nlopt_converged(result);
        best.status = nlopt_status(result);
    }
    nlopt_destroy(opt);
    best.starts = static_cast<int64_t>(starts.size());
    if (!std::isfinite(best.objective)) {
        best.converged = false;
        best.status = "no start reached a finite objective";
    }
    return best;
}

std::vector<LossLaw> bootstrap_loss_law(const std::vector<Observation>& rows, double delta,
                                        const LossLaw& best, int64_t resamples, uint64_t seed) {
    std::vector<LossLaw> starts = {best};
    for (double a : {0.0, 25.0})
        for (double b : {0.0, 25.0})
            starts.push_back({a, b, 0.0, 0.5, 0.5});
    std::vector<LossLaw> laws;
    SplitMix64 rng(seed);
    std::vector<Observation> sample(rows.size());
    for (int64_t k = 0; k < resamples; ++k) {
        for (Observation& row : sample)
            row = rows[rng.bounded(rows.size())];
        const LossLawFit fit = fit_loss_law(sample, delta, starts);
        if (fit.converged)
            laws.push_back(fit.law);
    }
    return laws;
}

}  // namespace ladder::fit
