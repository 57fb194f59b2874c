// OLMo-core's WSD-S schedule (olmo_core/optim/scheduler.py, WSDS.get_lr; registered as
// "wsds"): warmup once, then periods of stable LR each ending in a linear decay to zero,
// with the next period jumping straight back to its peak. Pure math on token counts.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "optim/lr_schedule.hpp"

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

// A WSD-S schedule read per optimizer step: step s has seen s global batches of tokens.
class WsdsStepSchedule : public LrSchedule {
  public:
    WsdsStepSchedule(WsdsSchedule by_tokens, int64_t global_batch_size)
        : by_tokens_(std::move(by_tokens)), global_batch_size_(global_batch_size) {}

    double lr(int64_t step) const override;
    const WsdsSchedule& by_tokens() const { return by_tokens_; }

  private:
    WsdsSchedule by_tokens_;
    int64_t global_batch_size_;
};

}  // namespace ladder::optim
