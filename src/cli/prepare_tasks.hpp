// Downstream tasks encoded before training or evaluation (cli/prepare_tasks.cpp).
#pragma once

#include "cli/common.hpp"
#include "dist/launch_env.hpp"

namespace ladder::cli {

// When the run evaluates tasks (`evaluates`) and any is not prepared for this config, rank 0
// prepares them in a child `ladder prepare-tasks` (SentencePiece never shares a process
// with LibTorch) and the other ranks wait for it. Ends the process with the child's code
// when it fails.
void prepare_tasks_first(const config::LadderConfig& config, const CommonOptions& common,
                         const dist::LaunchEnv& launch, bool evaluates);

void register_prepare_tasks(CLI::App& app, CommonOptions& common);

}  // namespace ladder::cli
