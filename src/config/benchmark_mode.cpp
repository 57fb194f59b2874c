#include "config/benchmark_mode.hpp"

namespace ladder::config {

void apply_benchmark_mode(LadderConfig& config) {
    TrainerConfig& trainer = config.trainer;
    if (!trainer.hard_stop)
        trainer.hard_stop = DurationConfig{kBenchmarkHardStopSteps, "steps"};
    trainer.callbacks.speed_monitor.enabled = true;
    trainer.callbacks.speed_monitor.summary = true;
    trainer.no_checkpoints = true;
    trainer.no_evals = true;
}

}  // namespace ladder::config
