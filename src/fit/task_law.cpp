#include "fit/task_law.hpp"

#include <nlopt.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "fit/nlopt_status.hpp"

namespace ladder::fit {

double Sigmoid::operator()(double loss) const {
    return a / (1 + std::exp(-k * (loss - l0))) + b;
}

namespace {

struct Points {
    std::vector<std::pair<double, double>> all;  // observations and anchors
};

double squared_error(unsigned, const double* x, double* gradient, void* data) {
    const auto* points = static_cast<const Points*>(data);
    double total = 0;
    if (gradient)
        std::fill(gradient, gradient + 4, 0.0);
    for (const auto& [loss, accuracy] : points->all) {
        const double s = 1 / (1 + std::exp(-x[1] * (loss - x[2])));
        const double r = x[0] * s + x[3] - accuracy;
        total += r * r;
        if (gradient) {
            const double ds = s * (1 - s);  // d s / d (k (L - L0))
            gradient[0] += 2 * r * s;
            gradient[1] += 2 * r * x[0] * ds * (loss - x[2]);
            gradient[2] -= 2 * r * x[0] * ds * x[1];
            gradient[3] += 2 * r;
        }
    }
    return total;
}

}  // namespace

SigmoidFit fit_sigmoid(const std::vector<std::pair<double, double>>& points, double maximum,
                       double chance) {
    Points data{points};
    double largest = 0;
    for (const auto& point : points)
        largest = std::max(largest, point.first);
    data.all.emplace_back(0.0, maximum);
    data.all.emplace_back(largest, chance);

    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, 4);
    const double inf = std::numeric_limits<double>::infinity();
    const double lower[4] = {-1, 0, 0, 0}, upper[4] = {0, inf, inf, 1};  // a, k, L0, b
    nlopt_set_lower_bounds(opt, lower);
    nlopt_set_upper_bounds(opt, upper);
    nlopt_set_min_objective(opt, squared_error, &data);
    nlopt_set_ftol_rel(opt, 1e-14);
    nlopt_set_xtol_rel(opt, 1e-10);
    nlopt_set_maxeval(opt, 50000);

    // The paper's start (a, k, L0, b) = (chance - 1, 3, 0.9, 1), and steeper or shallower
    // ones centred across the observed losses, since one start can stall on a plateau.
    std::vector<std::array<double, 4>> starts = {{chance - 1, 3.0, 0.9, 1.0}};
    for (double k : {1.0, 3.0, 10.0, 30.0})
        for (double centre : {0.25, 0.5, 0.75})
            starts.push_back({chance - maximum, k, centre * largest, maximum});
    SigmoidFit best;
    best.objective = inf;
    for (auto x : starts) {
        double value = inf;
        const nlopt_result result = nlopt_optimize(opt, x.data(), &value);
        if (!std::isfinite(value) || value >= best.objective)
            continue;
        best.law = {x[0], x[1], x[2], x[3]};
        best.objective = value;
        best.converged = nlopt_converged(result);
        best.status = nlopt_status(result);
    }
    nlopt_destroy(opt);
    return best;
}

}  // namespace ladder::fit
