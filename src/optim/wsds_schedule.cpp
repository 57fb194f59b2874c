#include "optim/wsds_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ladder::optim {

WsdsSchedule WsdsSchedule::make(double peak_lr, double warmup, std::vector<double> period_lengths,
                                std::vector<double> period_multipliers, double decay_fraction) {
    WsdsSchedule s;
    s.peak_lr = peak_lr;
    s.warmup = warmup;
    s.period_lengths = std::move(period_lengths);
    s.period_multipliers = std::move(period_multipliers);
    if (s.period_multipliers.empty())
        s.period_multipliers.assign(s.period_lengths.size(), 1.0);
    for (double length : s.period_lengths) {
        // Python's round(): half to even, which nearbyint does in the default mode.
        s.decays.push_back(std::nearbyint(decay_fraction * length));
    }
    if (s.period_lengths.empty())
        throw std::invalid_argument("WSD-S needs at least one period");
    if (s.warmup + s.decays[0] > s.period_lengths[0]) {
        throw std::invalid_argument("warmup plus the first decay is longer than the first period");
    }
    for (size_t i = 0; i < s.decays.size(); ++i) {
        if (s.decays[i] > s.period_lengths[i]) {
            throw std::invalid_argument("the decay of period " + std::to_string(i + 1) +
                                        " is longer than the period");
        }
    }
    return s;
}

double WsdsSchedule::lr(double x) const {
    if (x < warmup)
        return peak_lr * period_multipliers[0] * std::min(x, warmup) / warmup;
    const double after_warmup = x - warmup;
    // Periods measured after warmup: the first one is shortened by it.
    double end = 0;
    double start = 0;
    for (size_t p = 0; p < period_lengths.size(); ++p) {
        const double length = p == 0 ? period_lengths[0] - warmup : period_lengths[p];
        start = end;
        end += length;
        if (after_warmup > end)
            continue;
        if (p + 1 == period_lengths.size() && after_warmup >= end)
            return 0.0;
        const double pos = std::clamp(after_warmup - start, 0.0, length);
        const double peak = peak_lr * period_multipliers[p];
        const double stable = length - decays[p];
        if (pos < stable)
            return peak;
        if (decays[p] == 0)
            return 0.0;  // pos is at the period's end
        const double remaining = decays[p] - (pos - stable);
        return peak * std::min(remaining, decays[p]) / decays[p];
    }
    return 0.0;
}

double WsdsStepSchedule::lr(int64_t step) const {
    return by_tokens_.lr(static_cast<double>(step) * static_cast<double>(global_batch_size_));
}

}  // namespace ladder::optim
