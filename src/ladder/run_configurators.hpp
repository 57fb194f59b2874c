// The run configurators: from a model's N and the ladder config to batch target,
// optimizer, schedule, duration and checkpoints. Internal to the ladder layer.
#pragma once

#include "ladder/run_plan.hpp"

namespace ladder {

// Each configurator first names the batch target; once the batch is planned on devices
// (`plan.batch`), it fills the optimizer, schedule, duration, checkpoints and marks.

// OLMo-core's target: round(2048 * 160 * (N / 108e6)^(2/3)) tokens.
int64_t wsds_target_batch_size(const config::WsdsChinchillaRunConfig& run, int64_t num_params);
void configure_wsds_chinchilla(const config::WsdsChinchillaRunConfig& run, RunPlan& plan);

int64_t levanter_target_batch_size(const config::LevanterRunConfig& run);
void configure_levanter(const config::LevanterRunConfig& run, RunPlan& plan);

}  // namespace ladder
