#include "optim/levanter_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ladder::optim {

namespace {
constexpr double kInvSqrtTimescale = 10000.0;
constexpr double kPi = 3.14159265358979323846;
}  // namespace

DecayShape parse_decay_shape(const std::string& name) {
    if (name == "constant")
        return DecayShape::kConstant;
    if (name == "linear")
        return DecayShape::kLinear;
    if (name == "cosine")
        return DecayShape::kCosine;
    if (name == "inv_sqrt")
        return DecayShape::kInvSqrt;
    if (name == "inv")
        return DecayShape::kInv;
    throw std::invalid_argument("unknown LR schedule '" + name + "'");
}

int64_t fraction_or_steps(double x, int64_t n) {
    if (x <= 1.0)
        return static_cast<int64_t>(x * static_cast<double>(n));
    return static_cast<int64_t>(x);
}

double LevanterSchedule::decay_value(const LevanterCycle& cycle, int64_t c) const {
    const double lr = peak_lr;
    const double d = static_cast<double>(cycle.decay);
    switch (shape) {
        case DecayShape::kConstant:
            return lr;
        case DecayShape::kLinear:
            if (cycle.decay <= 0)
                return lr;
            return lr + (min_lr - lr) * std::clamp(static_cast<double>(c), 0.0, d) / d;
        case DecayShape::kCosine: {
            const double ratio = min_lr / lr;
            const double progress = std::min(static_cast<double>(c), d) / d;
            return lr * ((1 - ratio) * 0.5 * (1 + std::cos(kPi * progress)) + ratio);
        }
        case DecayShape::kInvSqrt: {
            const double t = std::max(static_cast<double>(c + cycle.warmup), 1.0);
            return std::max(lr * std::min(1.0, 1.0 / std::sqrt(t / kInvSqrtTimescale)), min_lr);
        }
        case DecayShape::kInv: {
            const double steps = std::max(static_cast<double>(c), 1.0);
            return std::max(lr * std::min(1.0, 1.0 / ((lr / min_lr - 1) * steps / d + 1)), min_lr);
        }
    }
    return lr;
}

double LevanterSchedule::lr(int64_t count) const {
    // The last cycle extends past the run's end, as the joined optax schedule does.
    const LevanterCycle* cycle = &cycles.back();
    for (const auto& candidate : cycles) {
        if (count < candidate.start + candidate.length) {
            cycle = &candidate;
            break;
        }
    }
    const int64_t c = count - cycle->start;
    if (c < cycle->warmup) {
        return cycle->warmup_from + (peak_lr - cycle->warmup_from) * static_cast<double>(c) /
                                        static_cast<double>(cycle->warmup);
    }
    if (c < cycle->warmup + cycle->stable)
        return peak_lr;
    return decay_value(*cycle, c - cycle->warmup - cycle->stable);
}

}  // namespace ladder::optim
