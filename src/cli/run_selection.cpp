#include "cli/run_selection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/fields.hpp"
#include "util/error.hpp"

namespace ladder::cli {

void add_run_selection_options(CLI::App* command, RunSelection& selection) {
    command->add_option("sizes", selection.sizes, "model sizes (or --all)");
    command->add_flag("--all", selection.all, "every size of the ladder");
    command->add_flag("--discover-all", selection.discover_all,
                      "every complete checkpoint found on disk instead of the planned ones");
    command->add_option("--alternative-dirs", selection.alternative_dirs,
                        "more roots to search after the ladder's dir, each holding one folder "
                        "per size");
}

std::vector<std::string> selected_sizes(const RunSelection& selection,
                                        const config::LadderConfig& config, bool ladder_order) {
    if (selection.all && !selection.sizes.empty())
        throw UsageError("give sizes or --all, not both");
    if (selection.all)
        return config.sizes;
    if (selection.sizes.empty())
        throw UsageError("no sizes given: name one or more sizes, or use --all");
    std::vector<std::string> sizes;
    for (const auto& size : selection.sizes) {
        if (std::find(sizes.begin(), sizes.end(), size) == sizes.end())
            sizes.push_back(size);
    }
    if (ladder_order) {
        const auto rank = [&](const std::string& size) {
            return std::find(config.sizes.begin(), config.sizes.end(), size) - config.sizes.begin();
        };
        std::stable_sort(sizes.begin(), sizes.end(),
                         [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    }
    return sizes;
}

std::vector<RunPlan> plan_selected(const RunSelection& selection,
                                   const config::LadderConfig& config, bool ladder_order) {
    std::vector<RunPlan> plans;
    std::optional<config::ConfigError> first_failure;
    for (const auto& size : selected_sizes(selection, config, ladder_order)) {
        if (!selection.all) {
            plans.push_back(plan_run(config, size));
            continue;
        }
        try {
            plans.push_back(plan_run(config, size));
        } catch (const config::ConfigError& e) {
            spdlog::warn("leaving out size {}, which cannot be planned: {}", size, e.what());
            if (!first_failure)
                first_failure = e;
        }
    }
    if (plans.empty() && first_failure)
        throw *first_failure;
    return plans;
}

}  // namespace ladder::cli
