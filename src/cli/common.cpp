#include "cli/common.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "io/checkpoint_dir.hpp"
#include "plot/cairo_plot.hpp"
#include "util/atomic_file.hpp"

namespace ladder::cli {

void add_config_option(CLI::App* command, CommonOptions& common) {
    command->add_option("--config", common.config_file,
                        "ladder YAML file (default: $LADDER_CONFIG, else the built-in OLMo-3 "
                        "ladder); override any key with --dotted.key=VALUE");
}

config::LadderConfig load_ladder(const CommonOptions& common) {
    std::optional<std::string> file = common.config_file;
    if (!file) {
        if (const char* env = std::getenv("LADDER_CONFIG"); env && *env)
            file = env;
    }
    config::LadderConfig config = config::load_config(file, common.overrides);
    check_ladder(config);
    return config;
}

std::string output_folder(const std::optional<std::string>& output_dir,
                          const config::LadderConfig& config) {
    return (std::filesystem::path(output_dir.value_or("ladder-output")) / config.name).string();
}

void print_warnings(const RunPlan& plan) {
    for (const auto& warning : plan.warnings)
        spdlog::warn(warning);
}

std::vector<std::string> write_plot(const plot::LrFigure& figure, const std::string& folder,
                                    const std::string& stem,
                                    const std::vector<std::string>& extensions) {
    create_output_folder(folder, "--output-dir");
    std::vector<std::string> paths;
    for (const auto& extension : extensions) {
        const std::string path = (std::filesystem::path(folder) / (stem + extension)).string();
        write_atomically(
            path, [&](const std::string& temporary) { plot::write_lr_plot(figure, temporary); });
        paths.push_back(path);
    }
    return paths;
}

std::vector<int64_t> saved_steps(const std::string& folder, const std::string& size,
                                 const std::optional<int64_t>& step) {
    const std::vector<int64_t> saved = io::find_checkpoints(folder);
    if (saved.empty())
        throw UsageError("size " + size + ": no complete checkpoint in '" + folder + "'");
    if (step && std::find(saved.begin(), saved.end(), *step) == saved.end()) {
        std::vector<std::string> steps;
        for (const int64_t s : saved)
            steps.push_back(std::to_string(s));
        throw UsageError("--step " + std::to_string(*step) +
                         ": no complete checkpoint of that step in '" + folder +
                         "' (it has steps " + join(steps, ", ") + ")");
    }
    return saved;
}

}  // namespace ladder::cli
