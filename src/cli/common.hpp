// What every subcommand shares: the config file option, overrides, loading.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "ladder/run_plan.hpp"
#include "plot/lr_figure.hpp"

namespace ladder::cli {

// Ends the process with this code without an error message (the command said why).
struct ExitCode {
    int code;
};

struct CommonOptions {
    std::optional<std::string> config_file;  // --config, or LADDER_CONFIG
    std::vector<config::Override> overrides;
    std::vector<std::string> args;  // the whole command line, argv[0] first
};

// Adds --config to a subcommand.
void add_config_option(CLI::App* command, CommonOptions& common);

// Loads the config (defaults <- file <- overrides) and checks the ladder as a whole.
config::LadderConfig load_ladder(const CommonOptions& common);

// `<output_dir>/<ladder name>` with the default `ladder-output`.
std::string output_folder(const std::optional<std::string>& output_dir,
                          const config::LadderConfig& config);

// Writes the figure as <folder>/<stem><extension> for each extension (".png", ".svg"),
// creating the folder; returns the paths written.
std::vector<std::string> write_plot(const plot::LrFigure& figure, const std::string& folder,
                                    const std::string& stem,
                                    const std::vector<std::string>& extensions);

// Prints the plan's warnings on stderr.
void print_warnings(const RunPlan& plan);

// The complete checkpoints in a size's run folder, oldest first, and `step` checked to be one
// of them (--step N of eval and export); UsageError naming the folder otherwise.
std::vector<int64_t> saved_steps(const std::string& folder, const std::string& size,
                                 const std::optional<int64_t>& step);

void register_dry_run(CLI::App& app, CommonOptions& common);
void register_plot_lr(CLI::App& app, CommonOptions& common);
void register_plot_metrics(CLI::App& app, CommonOptions& common);
void register_help_config(CLI::App& app);
void register_train(CLI::App& app, CommonOptions& common);
void register_env(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_checkpoints(CLI::App& app, CommonOptions& common);
void register_metrics(CLI::App& app, CommonOptions& common);
void register_fit(CLI::App& app);
void register_eval(CLI::App& app, CommonOptions& common);
void register_hf(CLI::App& app, CommonOptions& common);

}  // namespace ladder::cli
