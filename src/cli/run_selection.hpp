// Which runs `checkpoints` and `metrics` look at: sizes or --all, and where to look.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "config/ladder_config.hpp"
#include "ladder/run_plan.hpp"

namespace ladder::cli {

struct RunSelection {
    std::vector<std::string> sizes;
    bool all = false;
    bool discover_all = false;
    std::vector<std::string> alternative_dirs;
};

// SIZE..., --all, --discover-all, --alternative-dirs D...
void add_run_selection_options(CLI::App* command, RunSelection& selection);

// The sizes asked for, each once: in the order given, or in ladder order when
// `ladder_order`; every size of the ladder with --all. UsageError when neither sizes nor
// --all are given, or both.
std::vector<std::string> selected_sizes(const RunSelection& selection,
                                        const config::LadderConfig& config, bool ladder_order);

// The plans of the selected sizes. A size named on the command line that cannot be
// planned is an error; with --all such a size is left out with a warning, so one size the
// devices cannot hold never hides the others (an error only when no size can be planned).
std::vector<RunPlan> plan_selected(const RunSelection& selection,
                                   const config::LadderConfig& config, bool ladder_order);

}  // namespace ladder::cli
