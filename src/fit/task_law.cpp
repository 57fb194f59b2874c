#include "fit/task_law.hpp"

#include <nlopt.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "fit/nlopt_status.hpp"
#include "fit/objective_order.hpp"

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

using Start = std::array<double, 4>;  // a, k, L0, b

// One L-BFGS run of the sigmoid within the paper's bounds from each start, on `data`.
std::vector<SigmoidFit> run_starts(Points data, const std::vector<Start>& starts) {
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, 4);
    const double inf = std::numeric_limits<double>::infinity();
    const double lower[4] = {-1, 0, 0, 0}, upper[4] = {0, inf, inf, 1};  // a, k, L0, b
    nlopt_set_lower_bounds(opt, lower);
    nlopt_set_upper_bounds(opt, upper);
    nlopt_set_min_objective(opt, squared_error, &data);
    nlopt_set_ftol_rel(opt, 1e-14);
    nlopt_set_xtol_rel(opt, 1e-10);
    nlopt_set_maxeval(opt, 50000);
    std::vector<SigmoidFit> ends;
    for (Start x : starts) {
        SigmoidFit end;
        end.objective = inf;
        const nlopt_result result = nlopt_optimize(opt, x.data(), &end.objective);
        end.law = {x[0], x[1], x[2], x[3]};
        end.converged = nlopt_converged(result);
        end.status = nlopt_status(result);
        ends.push_back(end);
    }
    nlopt_destroy(opt);
    return ends;
}

// The first end with the lowest finite objective.
SigmoidFit best_of(const std::vector<SigmoidFit>& ends) {
    SigmoidFit best;
    best.objective = std::numeric_limits<double>::infinity();
    for (const SigmoidFit& end : ends) {
        if (std::isfinite(end.objective) && end.objective < best.objective)
            best = end;
    }
    if (!std::isfinite(best.objective)) {
        best.converged = false;
        best.status = "no start reached a finite objective";
    }
    return best;
}

// The `count` best ends as starts, best first.
std::vector<Start> best_starts(std::vector<SigmoidFit> ends, size_t count) {
    sort_by_objective(ends);
    std::vector<Start> starts;
    for (const SigmoidFit& end : ends) {
        if (starts.size() < count && std::isfinite(end.objective))
            starts.push_back({end.law.a, end.law.k, end.law.l0, end.law.b});
    }
    return starts;
}

// `count` points evenly spread over the points sorted by loss.
std::vector<std::pair<double, double>> even_sample(std::vector<std::pair<double, double>> points,
                                                   size_t count) {
    std::sort(points.begin(), points.end());
    std::vector<std::pair<double, double>> sample;
    for (size_t k = 0; k < count; ++k)
        sample.push_back(points[(2 * k + 1) * points.size() / (2 * count)]);
    return sample;
}

}  // namespace

SigmoidFit fit_sigmoid(const std::vector<std::pair<double, double>>& points, double maximum,
                       double chance) {
    double largest = 0;
    for (const auto& point : points)
        largest = std::max(largest, point.first);
    // The observations and the two anchors.
    const auto with_anchors = [&](std::vector<std::pair<double, double>> some) {
        some.emplace_back(0.0, maximum);
        some.emplace_back(largest, chance);
        return Points{std::move(some)};
    };

    // The paper's start (a, k, L0, b) = (chance - 1, 3, 0.9, 1), and steeper or shallower
    // ones centred across the observed losses, since one start can stall on a plateau.
    std::vector<Start> starts = {{chance - 1, 3.0, 0.9, 1.0}};
    for (double k : {1.0, 3.0, 10.0, 30.0})
        for (double centre : {0.25, 0.5, 0.75})
            starts.push_back({chance - maximum, k, centre * largest, maximum});
    // With many points the starts run on an even sample and the best few are refitted on a
    // larger one, the best of those on every point (as the loss law does: the small sample
    // already tells the plateaus apart, and each stage starts near the next one's optimum).
    if (points.size() > kSigmoidGridPoints) {
        const Points sample = with_anchors(even_sample(points, kSigmoidGridPoints));
        starts = best_starts(run_starts(sample, starts), kSigmoidRefinedStarts);
    }
    if (points.size() > kSigmoidCheckPoints) {
        const Points sample = with_anchors(even_sample(points, kSigmoidCheckPoints));
        starts = best_starts(run_starts(sample, starts), 1);
    }
    return best_of(run_starts(with_anchors(points), starts));
}

}  // namespace ladder::fit
