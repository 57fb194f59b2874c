// RunPlan: everything decided about one rung before training starts. `dry-run` prints
// it, `plot-lr` draws it, `train` and `benchmark` execute it; all share this one planner.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"
#include "ladder/batch_plan.hpp"
#include "ladder/model_spec.hpp"
#include "optim/lr_schedule.hpp"

namespace ladder {

struct OptimizerPlan {
    double lr = 0;  // peak
    double beta1 = 0.9;
    double beta2 = 0.95;
    double eps = 1e-8;
    double weight_decay = 0.1;  // every parameter but the embeddings, which get 0
};

struct CheckpointPoint {
    int64_t step = 0;
    int64_t tokens = 0;  // step * global batch
    std::string name;    // "period 1, 0.5xC pre-decay"
};

// A labelled point on the token axis where a period (or cycle) ends: "1xC", "cycle 2".
struct PeriodMark {
    int64_t tokens = 0;
    std::string label;
};

struct RunPlan {
    std::string size;
    std::string run_name;     // <ladder name>-<size>
    std::string save_folder;  // <dir>/<size>
    ModelSpec model;
    int64_t num_params = 0;
    int64_t num_non_embedding_params = 0;
    BatchPlan batch;
    OptimizerPlan optimizer;
    std::shared_ptr<const optim::LrSchedule> schedule;  // built by the run configurator
    std::string schedule_title;  // "Learning rate schedule for a 190.4M model out to 4.0xC"
    int64_t warmup_tokens = 0;
    int64_t duration_tokens = 0;  // the schedule's horizon
    int64_t duration_steps = 0;
    int64_t chinchilla_tokens = 0;  // 1xC: the Chinchilla-optimal tokens of this model
    // Where training stops when trainer.max_duration / hard_stop say so, the earlier of the
    // two: the step (from steps or tokens) and the epoch after which it stops; both nullopt
    // when it runs the full duration. The trainer stops at whichever comes first.
    std::optional<int64_t> stop_step;
    std::optional<int64_t> stop_epoch;
    // The step the run ends at unless an epoch stop comes first.
    int64_t last_step() const { return stop_step.value_or(duration_steps); }
    std::optional<config::DurationConfig> hard_stop;
    std::optional<config::DurationConfig> max_duration;
    std::vector<CheckpointPoint> checkpoints;  // empty when trainer.no_checkpoints
    std::vector<PeriodMark> period_marks;
    std::vector<std::string> warnings;

    // LR of optimizer step `step` (1-based): WSD-S reads it at step * global batch tokens,
    // Levanter at update index step - 1.
    double lr_at_step(int64_t step) const { return schedule->lr(step); }
};

// Plans one size of the ladder. Throws ConfigError (exit 2) for a size not in `sizes`
// or a plan that cannot work (schedule does not fit, too few devices for this size).
RunPlan plan_run(const config::LadderConfig& config, const std::string& size);

// Checks what the ladder as a whole needs: known size names and sane custom sizes. What
// one size needs to be planned (devices, a schedule that fits) is checked by plan_run, so
// a size that cannot be planned never stops the plans of the others.
void check_ladder(const config::LadderConfig& config);

// OLMo-core's approximate size of a size name ("190M" -> 190e6); for a custom size with
// another name, its non-embedding parameter count.
double approx_params(const config::LadderConfig& config, const std::string& size);

}  // namespace ladder
