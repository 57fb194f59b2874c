// OLMo-core's WSD-S schedule ("wsds"): warmup once, then periods of stable LR each ending
// in a linear decay to zero, with the next period jumping straight back to its peak.
// Pure math on token counts (olmo-facts §4.7).
#pragma once

#include <vector>

namespace ladder::optim {

struct WsdsSchedule {
    double peak_lr = 0;
    double warmup = 0;                       // tokens
    std::vector<double> period_lengths;      // tokens, L[i]
    std::vector<double> period_multipliers;  // peak of period i = peak_lr * m[i]
    std::vector<double> decays;              // tokens, D[i] = round(decay_fraction * L[i])

    // Builds the schedule; throws std::invalid_argument when the warmup and first decay
    // do not fit the first period, or a decay does not fit its period.
    static WsdsSchedule make(double peak_lr, double warmup, std::vector<double> period_lengths,
                             std::vector<double> period_multipliers, double decay_fraction);

    // LR after `tokens` tokens have been seen, counting the current batch.
    double lr(double tokens) const;
};

}  // namespace ladder::optim
