// The one place that turns `trainer.callbacks.*` into callbacks: each is built from its own
// config block and only when enabled, so the Trainer never names one.
#pragma once

#include "config/ladder_config.hpp"
#include "data/data_loader.hpp"
#include "dist/launch_env.hpp"
#include "ladder/run_plan.hpp"
#include "train/callback.hpp"
#include "train/transformer_train_module.hpp"

namespace ladder::train {

// What the callbacks of one run are built from; references outlive the callbacks.
struct RunParts {
    const config::LadderConfig& config;
    const RunPlan& plan;
    const dist::LaunchEnv& launch;
    TransformerTrainModule& module;
    const data::DataLoader& loader;
};

// Rank 0 gets every enabled callback; the other ranks only those that take part in
// collectives or decide when metrics are read (checkpointer, evaluator, metric saver, stop
// signals), so that every rank calls the same collectives at the same steps.
// `trainer.no_checkpoints` leaves the run's folder untouched: no checkpoints, metrics files
// or logs. Throws UsageError for a validation set that cannot be read.
CallbackList build_callbacks(const RunParts& run);

}  // namespace ladder::train
