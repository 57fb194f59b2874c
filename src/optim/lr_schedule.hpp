// What the trainer and the plots ask of any learning-rate schedule: the LR of one
// optimizer step. Each run configurator builds its own schedule behind this interface.
#pragma once

#include <cstdint>

namespace ladder::optim {

class LrSchedule {
  public:
    virtual ~LrSchedule() = default;

    // The LR the optimizer uses for step `step` (1-based: the first update is step 1).
    virtual double lr(int64_t step) const = 0;
};

}  // namespace ladder::optim
