#include "fit/loss_law.hpp"

#include <nlopt.h>

#include "fit/nlopt_status.hpp"
#include "fit/objective_order.hpp"
#include "util/cpu_cores.hpp"
#include "util/split_mix64.hpp"

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <functional>
#include <limits>
#include <thread>

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

namespace {

bool by_n_and_d(const Observation& x, const Observation& y) {
    return x.n < y.n || (x.n == y.n && x.d < y.d);
}

std::vector<Observation> sorted_by_n_and_d(std::vector<Observation> rows) {
    std::sort(rows.begin(), rows.end(), by_n_and_d);
    return rows;
}

}  // namespace

LogRows::LogRows(const std::vector<Observation>& given) {
    // Sorted already when the fit passes them; a copy is sorted otherwise.
    std::vector<Observation> copy;
    if (!std::is_sorted(given.begin(), given.end(), by_n_and_d))
        copy = sorted_by_n_and_d(given);
    const std::vector<Observation>& rows = copy.empty() ? given : copy;
    ln_d.reserve(rows.size());
    ln_loss.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
        if (i == 0 || rows[i].n != rows[i - 1].n)
            sizes.push_back({std::log(rows[i].n), i, i});
        ++sizes.back().end;
        ln_d.push_back(std::log(rows[i].d));
        ln_loss.push_back(std::log(rows[i].loss));
    }
}

namespace {

// Runs `work` on min(`tasks`, cores) threads, this one included; `work` takes its tasks
// from a shared counter until none are left.
void run_on_cores(size_t tasks, const std::function<void()>& work) {
    const size_t threads = std::min(tasks, static_cast<size_t>(available_cores()));
    std::vector<std::thread> helpers;
    for (size_t t = 1; t < threads; ++t)
        helpers.emplace_back(work);
    work();
    for (std::thread& helper : helpers)
        helper.join();
}

// ln(e^t1 + e^t2 + e^t3) and each term's share of the sum.
struct LogSum {
    double value = 0;
    double share[3] = {0, 0, 0};
};

// Shifted by the largest exponent, so that nothing overflows or vanishes: for the rare row
// whose terms leave double range while the optimizer tries far-off parameters.
LogSum stable_log_sum(double t1, double t2, double t3) {
    const double top = std::max({t1, t2, t3});
    const double w1 = std::exp(t1 - top), w2 = std::exp(t2 - top), w3 = std::exp(t3 - top);
    const double sum = w1 + w2 + w3;
    return {top + std::log(sum), {w1 / sum, w2 / sum, w3 / sum}};
}

// The terms themselves, already exponentiated: one log and one division.
LogSum log_sum(double n_term, double d_term, double e_term, double t1, double t2, double t3) {
    const double sum = n_term + d_term + e_term;
    if (!(sum >= DBL_MIN && sum <= DBL_MAX))  // NaN included
        return stable_log_sum(t1, t2, t3);
    const double inverse = 1 / sum;
    return {std::log(sum), {n_term * inverse, d_term * inverse, e_term * inverse}};
}

// The objective and its gradient over some of the rows.
struct Partial {
    double total = 0;
    double gradient[5] = {0, 0, 0, 0, 0};
};

// The sum over rows [begin, end), which may start and end inside a size.
Partial partial_objective(const LossLaw& law, const LogRows& rows, size_t begin, size_t end,
                          double delta) {
    // Huber_delta(r) = c (|r| - c / 2) with c = min(|r|, delta), whose slope is r clamped
    // to [-delta, delta]: no branch on which side of delta a row falls.
    const double e_term = std::exp(law.e);
    Partial sum;
    double* g = sum.gradient;
    auto size = std::upper_bound(rows.sizes.begin(), rows.sizes.end(), begin,
                                 [](size_t row, const LogRows::Size& s) { return row < s.end; });
    for (; size != rows.sizes.end() && size->begin < end; ++size) {
        const double t1 = law.a - law.alpha * size->ln_n;
        const double n_term = std::exp(t1);
        double n_slope = 0;  // sum of slope x the N term's share over this size's rows
        for (size_t i = std::max(begin, size->begin); i < std::min(end, size->end); ++i) {
            const double t2 = law.b - law.beta * rows.ln_d[i];
            const LogSum p = log_sum(n_term, std::exp(t2), e_term, t1, t2, law.e);
            const double r = p.value - rows.ln_loss[i];  // ln predicted - ln observed
            const double c = std::min(std::fabs(r), delta);
            sum.total += c * (std::fabs(r) - 0.5 * c);
            const double slope = std::clamp(r, -delta, delta);
            n_slope += slope * p.share[0];
            g[1] += slope * p.share[1];
            g[2] += slope * p.share[2];
            g[4] -= slope * p.share[1] * rows.ln_d[i];
        }
        g[0] += n_slope;
        g[3] -= n_slope * size->ln_n;
    }
    return sum;
}

// Each chunk's partial sum, the chunks shared among the cores when there are several.
std::vector<Partial> chunk_objectives(const LossLaw& law, const LogRows& rows, double delta) {
    const size_t chunks = std::max<size_t>(1, (rows.rows() + kChunkRows - 1) / kChunkRows);
    std::vector<Partial> partials(chunks);
    std::atomic<size_t> next{0};
    const auto work = [&] {
        for (size_t c = next++; c < chunks; c = next++) {
            partials[c] = partial_objective(law, rows, c * kChunkRows,
                                            std::min(rows.rows(), (c + 1) * kChunkRows), delta);
        }
    };
    run_on_cores(chunks, work);
    return partials;
}

}  // namespace

double huber_objective(const LossLaw& law, const LogRows& rows, double delta, double* gradient) {
    // The chunks are summed in order, so the result does not depend on the thread count.
    Partial sum;
    for (const Partial& partial : chunk_objectives(law, rows, delta)) {
        sum.total += partial.total;
        for (int i = 0; i < 5; ++i)
            sum.gradient[i] += partial.gradient[i];
    }
    if (gradient)
        std::copy(sum.gradient, sum.gradient + 5, gradient);
    return sum.total;
}

double huber_objective(const LossLaw& law, const std::vector<Observation>& rows, double delta,
                       double* gradient) {
    return huber_objective(law, LogRows(rows), delta, gradient);
}

namespace {

struct Ending {
    LossLaw law;
    double objective = std::numeric_limits<double>::infinity();
    nlopt_result result = NLOPT_FAILURE;
};

struct Problem {
    const LogRows* rows;
    double delta;
};

double nlopt_objective(unsigned, const double* x, double* gradient, void* data) {
    const auto* problem = static_cast<const Problem*>(data);
    return huber_objective(LossLaw::unpack(x), *problem->rows, problem->delta, gradient);
}

// One L-BFGS optimizer (alpha, beta >= 0) for one thread.
class Lbfgs {
  public:
    Lbfgs(const LogRows& rows, double delta) : problem_{&rows, delta} {
        opt_ = nlopt_create(NLOPT_LD_LBFGS, 5);
        const double inf = std::numeric_limits<double>::infinity();
        const double lower[5] = {-inf, -inf, -inf, 0.0, 0.0};
        nlopt_set_lower_bounds(opt_, lower);
        nlopt_set_min_objective(opt_, nlopt_objective, &problem_);
        nlopt_set_ftol_rel(opt_, 1e-14);
        nlopt_set_xtol_rel(opt_, 1e-10);
        nlopt_set_maxeval(opt_, 20000);
    }
    ~Lbfgs() { nlopt_destroy(opt_); }
    Lbfgs(const Lbfgs&) = delete;
    Lbfgs& operator=(const Lbfgs&) = delete;

    Ending run(const LossLaw& start) {
        std::array<double, 5> x = start.packed();
        Ending ending;
        ending.result = nlopt_optimize(opt_, x.data(), &ending.objective);
        ending.law = LossLaw::unpack(x.data());
        return ending;
    }

  private:
    Problem problem_;
    nlopt_opt opt_;
};

// Every start's end point, the starts shared among the cores: each end depends on its
// start alone, so the result is the same for any number of threads.
std::vector<Ending> run_starts(const LogRows& rows, double delta,
                               const std::vector<LossLaw>& starts) {
    std::vector<Ending> ends(starts.size());
    std::atomic<size_t> next{0};
    const auto work = [&] {
        Lbfgs lbfgs(rows, delta);
        for (size_t i = next++; i < starts.size(); i = next++)
            ends[i] = lbfgs.run(starts[i]);
    };
    run_on_cores(starts.size(), work);
    return ends;
}

// The first end with the lowest finite objective, as a fit.
LossLawFit best_of(const std::vector<Ending>& ends) {
    LossLawFit best;
    best.objective = std::numeric_limits<double>::infinity();
    for (const Ending& end : ends) {
        if (!std::isfinite(end.objective) || end.objective >= best.objective)
            continue;
        best.law = end.law;
        best.objective = end.objective;
        best.converged = nlopt_converged(end.result);
        best.status = nlopt_status(end.result);
    }
    if (!std::isfinite(best.objective)) {
        best.converged = false;
        best.status = "no start reached a finite objective";
    }
    return best;
}

// `count` rows evenly spread over `sorted` (by N and D): every part of the ladder in
// proportion, whatever order the table lists them in.
std::vector<Observation> even_sample(const std::vector<Observation>& sorted, size_t count) {
    std::vector<Observation> sample;
    sample.reserve(count);
    for (size_t k = 0; k < count; ++k)
        sample.push_back(sorted[(2 * k + 1) * sorted.size() / (2 * count)]);
    return sample;
}

bool same_point(const LossLaw& x, const LossLaw& y) {
    const auto px = x.packed(), py = y.packed();
    for (size_t i = 0; i < px.size(); ++i) {
        if (std::fabs(px[i] - py[i]) > 1e-6 * std::max(1.0, std::fabs(px[i])))
            return false;
    }
    return true;
}

// The `count` best distinct end points with a finite objective, best first.
std::vector<LossLaw> best_distinct(std::vector<Ending> ends, size_t count) {
    sort_by_objective(ends);
    std::vector<LossLaw> chosen;
    for (const Ending& end : ends) {
        if (chosen.size() == count || !std::isfinite(end.objective))
            break;
        const auto seen = [&end](const LossLaw& law) { return same_point(law, end.law); };
        if (std::none_of(chosen.begin(), chosen.end(), seen))
            chosen.push_back(end.law);
    }
    return chosen;
}

}  // namespace

LossLawFit fit_loss_law(const std::vector<Observation>& rows, double delta,
                        const std::vector<LossLaw>& starts) {
    // Each stage keeps the best distinct end points of the last and refits them on more
    // rows; the end of one stage is close to the next one's optimum, so the stages on many
    // rows take few evaluations. With few rows every start runs on every row.
    const std::vector<Observation> sorted = sorted_by_n_and_d(rows);
    std::vector<LossLaw> candidates = starts;
    size_t grid_rows = rows.size();
    if (rows.size() > kGridRows && candidates.size() > kRefinedStarts) {
        grid_rows = kGridRows;
        const LogRows sample(even_sample(sorted, kGridRows));
        candidates = best_distinct(run_starts(sample, delta, candidates), kRefinedStarts);
    }
    if (rows.size() > kCheckRows) {
        const LogRows sample(even_sample(sorted, kCheckRows));
        candidates = best_distinct(run_starts(sample, delta, candidates), 1);
    }
    LossLawFit fit = best_of(run_starts(LogRows(sorted), delta, candidates));
    fit.starts = static_cast<int64_t>(starts.size());
    fit.grid_rows = static_cast<int64_t>(grid_rows);
    return fit;
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
