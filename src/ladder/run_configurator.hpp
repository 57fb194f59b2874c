// The registry of run configurators: how a run type turns a model's N and the config's
// `run` section into batch target, optimizer, LR schedule, duration and checkpoints.
// OLMo-core's RunConfigurator (olmo_core/model_ladder/base.py); each type registers once,
// under its `run.type`, in run_configurator.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"

namespace ladder {

struct RunPlan;

// One row of the registry: a run type's name and its functions.
struct RunConfigurator {
    // The `run.type` it registers under.
    const char* type;

    // Cross-field checks of the run section when the config is loaded: ConfigError naming
    // the key.
    void (*validate)(const config::LadderConfig& config);

    // Tokens per optimizer step to aim for, for a model of `num_params` non-embedding
    // parameters (before the batch is fitted to devices).
    int64_t (*target_batch_size)(const config::LadderConfig& config, int64_t num_params);

    // Tokens of 1xC for such a model.
    int64_t (*chinchilla_tokens)(const config::LadderConfig& config, int64_t num_params);

    // Once `plan.batch` is planned on devices: fills the optimizer, schedule, duration,
    // checkpoints and period marks.
    void (*configure)(const config::LadderConfig& config, RunPlan& plan);
};

// The configurator registered under `type`; ConfigError on run.type naming the choices
// when there is none.
const RunConfigurator& run_configurator(const std::string& type);

}  // namespace ladder
