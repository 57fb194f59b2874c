// Levanter's learning-rate schedule: cycles of [(re)warmup] -> [stable] -> [decay], the
// decay shaped constant, linear, cosine, inv_sqrt or inv, each cycle ending at
// min_lr_ratio * peak. Counts are 0-based optimizer updates, as optax counts them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "optim/lr_schedule.hpp"

namespace ladder::optim {

enum class DecayShape { kConstant, kLinear, kCosine, kInvSqrt, kInv };

// Parses "constant" | "linear" | "cosine" | "inv_sqrt" | "inv"; throws std::invalid_argument.
DecayShape parse_decay_shape(const std::string& name);

struct LevanterCycle {
    int64_t start = 0;
    int64_t length = 0;
    int64_t warmup = 0;      // W: warmup (first cycle) or re-warmup (later cycles)
    int64_t stable = 0;      // S = length - W - D
    int64_t decay = 0;       // D
    double warmup_from = 0;  // LR the warmup starts at: 0, then the previous cycle's end value
};

struct LevanterSchedule {
    double peak_lr = 0;
    double min_lr = 0;
    DecayShape shape = DecayShape::kCosine;
    std::vector<LevanterCycle> cycles;

    // LR used by the update with 0-based index `count`.
    double lr(int64_t count) const;
    // Value of the decay of `cycle` at its local count `c` (0-based within the decay).
    double decay_value(const LevanterCycle& cycle, int64_t c) const;
};

// A Levanter schedule read per optimizer step: optimizer step s is update count s - 1.
class LevanterStepSchedule : public LrSchedule {
  public:
    explicit LevanterStepSchedule(LevanterSchedule by_count) : by_count_(std::move(by_count)) {}

    double lr(int64_t step) const override { return by_count_.lr(step - 1); }
    const LevanterSchedule& by_count() const { return by_count_; }

  private:
    LevanterSchedule by_count_;
};

// Levanter's fraction-or-steps rule: x <= 1 is a fraction of n (truncated), else x steps.
int64_t fraction_or_steps(double x, int64_t n);

}  // namespace ladder::optim
