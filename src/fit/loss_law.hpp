// The Chinchilla loss law L(N, D) = E + A / N^alpha + B / D^beta ("approach 3") fitted as
// the literature does: parameters in log space (a = ln A, b = ln B, e = ln E), the Huber
// loss (delta 1e-3 by default) between ln of the predicted and ln of the observed loss,
// minimised by L-BFGS (NLopt, analytic gradient, alpha and beta >= 0) from every point of
// a grid of starts; the best end point wins. Bootstrap intervals refit resampled rows.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ladder::fit {

struct Observation {
    double n = 0;  // parameters (non-embedding)
    double d = 0;  // training tokens
    double loss = 0;
};

struct LossLaw {
    double a = 0, b = 0, e = 0, alpha = 0, beta = 0;  // a = ln A, b = ln B, e = ln E

    double A() const;
    double B() const;
    double E() const;
    double predict(double n, double d) const;
    // The N and D minimising the loss at compute C = 6ND.
    std::pair<double, double> optimal(double compute) const;

    std::array<double, 5> packed() const { return {a, b, e, alpha, beta}; }
    static LossLaw unpack(const double* x) { return {x[0], x[1], x[2], x[3], x[4]}; }
};

// The rows as the objective reads them, logarithms taken once: rows of one N are
// contiguous (a ladder has a handful of sizes and many checkpoints each), so A / N^alpha
// costs one exp per size, not per row, in every evaluation.
struct LogRows {
    struct Size {
        double ln_n = 0;
        size_t begin = 0, end = 0;  // its rows in ln_d and ln_loss
    };
    std::vector<Size> sizes;
    std::vector<double> ln_d, ln_loss;

    LogRows() = default;
    explicit LogRows(const std::vector<Observation>& rows);
    size_t rows() const { return ln_d.size(); }
};

struct LossLawFit {
    LossLaw law;
    double objective = 0;  // sum of Huber losses at the optimum
    bool converged = false;
    std::string status;  // NLopt's word for how the best start ended
    int64_t starts = 0;
    // The rows every start ran on: all of them, or above kGridRows an even sample of
    // kGridRows (see fit_loss_law).
    int64_t grid_rows = 0;
};

// Above kGridRows rows, every start runs on an even sample of kGridRows rows (sorted by N
// and D), which already tells the basins apart; its best kRefinedStarts distinct end points
// are refitted on kCheckRows rows, and the best of those on every row. 972 starts x ~100
// evaluations x 1M rows would take hours; this takes seconds.
constexpr size_t kGridRows = 256;
constexpr size_t kRefinedStarts = 3;
constexpr size_t kCheckRows = 50000;
// The objective sums rows in chunks of this many, in order: several chunks share the
// cores, and the sum is the same for any number of them.
constexpr size_t kChunkRows = 65536;

// The default grid: a, b in {0, 5, ..., 25}, e in {-1, 0, 1}, alpha, beta in
// {0.2, 0.5, 1} (972 starts).
std::vector<LossLaw> default_starts();

// Sum of Huber_delta(ln L(N, D) - ln loss) over the rows, and its gradient.
double huber_objective(const LossLaw& law, const LogRows& rows, double delta,
                       double* gradient = nullptr);
double huber_objective(const LossLaw& law, const std::vector<Observation>& rows, double delta,
                       double* gradient = nullptr);

LossLawFit fit_loss_law(const std::vector<Observation>& rows, double delta,
                        const std::vector<LossLaw>& starts);

// `resamples` fits of rows drawn with replacement (seeded, so every run gives the same
// intervals), each started from `best` and from the default grid's corners.
std::vector<LossLaw> bootstrap_loss_law(const std::vector<Observation>& rows, double delta,
                                        const LossLaw& best, int64_t resamples, uint64_t seed);

}  // namespace ladder::fit
