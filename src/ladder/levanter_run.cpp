#include "ladder/levanter_run.hpp"

#include <cmath>
#include <memory>
#include <string>

#include "ladder/run_plan.hpp"
#include "optim/levanter_schedule.hpp"
#include "util/format.hpp"

namespace ladder {

namespace {

using config::ConfigError;

// Levanter's cycle minima: [0, end of cycle 1, ..., total].
std::vector<int64_t> cycle_boundaries(const config::LevanterRunConfig& run, int64_t total) {
    std::vector<int64_t> points;
    if (run.cycle_length) {
        const auto& spec = *run.cycle_length;
        if (spec.is_list) {
            int64_t sum = 0;
            for (double length : spec.values) {
                sum += static_cast<int64_t>(length);
                points.push_back(sum);
            }
            if (sum > total) {
                throw ConfigError("run.cycle_length", "cycle lengths add up to " +
                                                          std::to_string(sum) +
                                                          " steps, more than num_train_steps (" +
                                                          std::to_string(total) + ")");
            }
        } else {
            const double value = spec.values.front();
            if (value > 1 && std::floor(value) != value) {
                throw ConfigError("run.cycle_length",
                                  "expected a fraction in (0, 1] or a whole number of steps, got " +
                                      config::format_number(value));
            }
            const int64_t length = optim::fraction_or_steps(value, total);
            if (length <= 0) {
                throw ConfigError("run.cycle_length", "gives cycles of 0 steps");
            }
            // The remainder of total / length goes to the last cycle, as in Levanter.
            for (int64_t i = 1; i < total / length; ++i)
                points.push_back(i * length);
        }
    } else if (run.cycles) {
        const auto& spec = *run.cycles;
        if (spec.is_list) {
            int64_t previous = 0;
            for (size_t i = 0; i < spec.values.size(); ++i) {
                const auto end = static_cast<int64_t>(spec.values[i]);
                if (end <= previous || end > total) {
                    throw ConfigError("run.cycles." + std::to_string(i),
                                      "expected increasing cycle ends in (" +
                                          std::to_string(previous) + ", " + std::to_string(total) +
                                          "], got " + std::to_string(end));
                }
                points.push_back(end);
                previous = end;
            }
        } else {
            const double value = spec.values.front();
            if (std::floor(value) != value) {
                throw ConfigError("run.cycles", "expected a whole number of cycles, got " +
                                                    config::format_number(value));
            }
            const auto count = static_cast<int64_t>(value);
            for (int64_t i = 0; i + 1 < count; ++i) {
                points.push_back(
                    static_cast<int64_t>(static_cast<double>(total) / static_cast<double>(count) *
                                         static_cast<double>(i + 1)));
            }
        }
    }
    points.insert(points.begin(), 0);
    if (points.back() != total)
        points.push_back(total);
    return points;
}

void validate(const config::LadderConfig& config) {
    const config::LevanterRunConfig& run = config.run.levanter;
    if (!run.global_batch_size)
        throw ConfigError("run.global_batch_size", "required with run.type: levanter");
    if (!run.num_train_steps)
        throw ConfigError("run.num_train_steps", "required with run.type: levanter");
    if (*run.global_batch_size % config.sequence_length != 0) {
        throw ConfigError("run.global_batch_size", "expected a multiple of sequence_length (" +
                                                       std::to_string(config.sequence_length) +
                                                       "), got " +
                                                       std::to_string(*run.global_batch_size));
    }
    if (run.cycles && run.cycle_length)
        throw ConfigError("run.cycles", "set either cycles or cycle_length, not both");
}

int64_t target_batch_size(const config::LadderConfig& config, int64_t) {
    return *config.run.levanter.global_batch_size;
}

// A fixed-hyperparameter run has no tokens-per-parameter rule of its own: its 1xC is
// Chinchilla's, so its runs sit on the same axis as the Chinchilla-scaled ones.
int64_t chinchilla_tokens(const config::LadderConfig&, int64_t num_params) {
    return static_cast<int64_t>(config::kChinchillaTokensPerParam *
                                static_cast<double>(num_params));
}

void configure(const config::LadderConfig& config, RunPlan& plan) {
    const config::LevanterRunConfig& run = config.run.levanter;
    const int64_t batch = plan.batch.global_batch_size;
    const int64_t total = *run.num_train_steps;

    plan.optimizer.lr = run.learning_rate;
    plan.optimizer.beta1 = run.beta1;
    plan.optimizer.beta2 = run.beta2;
    plan.optimizer.eps = run.epsilon;
    plan.optimizer.weight_decay = run.weight_decay;

    optim::LevanterSchedule schedule;
    schedule.peak_lr = run.learning_rate;
    schedule.min_lr = run.learning_rate * run.min_lr_ratio;
    schedule.shape = optim::parse_decay_shape(run.lr_schedule);
    if (schedule.shape == optim::DecayShape::kInv && run.min_lr_ratio == 0) {
        throw ConfigError("run.min_lr_ratio", "must be > 0 with lr_schedule: inv");
    }

    const std::vector<int64_t> points = cycle_boundaries(run, total);
    double previous_end = 0.0;
    for (size_t k = 0; k + 1 < points.size(); ++k) {
        optim::LevanterCycle cycle;
        cycle.start = points[k];
        cycle.length = points[k + 1] - points[k];
        cycle.warmup = optim::fraction_or_steps(k == 0 ? run.warmup : run.rewarmup, cycle.length);
        cycle.decay = run.decay ? optim::fraction_or_steps(*run.decay, cycle.length)
                                : cycle.length - cycle.warmup;
        cycle.stable = cycle.length - cycle.warmup - cycle.decay;
        cycle.warmup_from = previous_end;
        const std::string which =
            "cycle " + std::to_string(k + 1) + " (" + std::to_string(cycle.length) + " steps)";
        if (cycle.stable < 0 || cycle.decay < 0) {
            throw ConfigError(run.decay ? "run.decay" : "run.warmup",
                              "warmup and decay do not fit in " + which);
        }
        if (schedule.shape == optim::DecayShape::kCosine && cycle.decay <= 0) {
            throw ConfigError(run.decay ? "run.decay" : "run.warmup",
                              "cosine decay needs at least one step in " + which);
        }
        schedule.cycles.push_back(cycle);
        previous_end = schedule.decay_value(cycle, cycle.decay);

        const std::string name = "cycle " + std::to_string(k + 1);
        const int64_t decay_start = cycle.start + cycle.warmup + cycle.stable;
        // A decay that starts with the cycle has no pre-decay state of its own.
        if (cycle.decay > 0 && decay_start > cycle.start) {
            plan.checkpoints.push_back({decay_start, decay_start * batch, name + " pre-decay"});
        }
        const int64_t end = cycle.start + cycle.length;
        plan.checkpoints.push_back({end, end * batch, name + " post-decay"});
        plan.period_marks.push_back({end * batch, name});
    }

    plan.warmup_tokens = schedule.cycles.front().warmup * batch;
    plan.duration_steps = total;
    plan.duration_tokens = total * batch;
    plan.schedule = std::make_shared<optim::LevanterStepSchedule>(schedule);
    plan.schedule_title = "Learning rate schedule for a " +
                          format_count(static_cast<double>(plan.num_non_embedding_params)) +
                          " model, " + run.lr_schedule + " decay over " + with_commas(total) +
                          " steps";
}

}  // namespace

RunConfigurator levanter_run_configurator() {
    return {config::LevanterRunConfig::kType, validate, target_batch_size, chinchilla_tokens,
            configure};
}

}  // namespace ladder
