// Benchmark mode: the same run as `train`, cut short and stripped of what would distort its
// throughput. OLMo-core's ModelLadder.run_benchmark (olmo_core/model_ladder/base.py) passes
// for_benchmarking=True to _configure_trainer, which sets these same things.
#pragma once

#include <cstdint>

#include "config/ladder_config.hpp"

namespace ladder::config {

// The hard stop of a benchmark when the config names none: OLMo-core's
// `hard_stop=Duration.steps(100)` in ModelLadder._configure_trainer.
inline constexpr int64_t kBenchmarkHardStopSteps = 100;

// Turns `config` into its benchmark: a hard stop of kBenchmarkHardStopSteps steps unless
// one is set, the speed monitor on with its summary table, and no checkpoints and no
// evaluations.
void apply_benchmark_mode(LadderConfig& config);

}  // namespace ladder::config
