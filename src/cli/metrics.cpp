// `ladder metrics SIZE... | --all`: every run's per-checkpoint metrics files collected
// into one table (CSV, JSON Lines or Markdown), sizes in ladder order.

#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "cli/common.hpp"
#include "cli/run_selection.hpp"
#include "io/metrics_writers.hpp"
#include "util/atomic_file.hpp"
#include "util/format.hpp"

namespace ladder::cli {

namespace {

struct MetricsOptions {
    RunSelection selection;
    std::string prefix;
    std::optional<std::string> output;
};

void metrics(const MetricsOptions& options, const CommonOptions& common) {
    io::TableFormat format = io::TableFormat::csv;
    if (options.output) {
        const auto chosen = io::table_format_for(*options.output);
        if (!chosen) {
            throw UsageError("cannot tell the format of -o '" + *options.output +
                             "': use a .csv, .jsonl or .md file");
        }
        format = *chosen;
    }
    const config::LadderConfig config = load_ladder(common);
    const RunSelection& selection = options.selection;
    const std::vector<RunPlan> plans = plan_selected(selection, config, true);

    io::MetricsTable table(options.prefix);
    std::vector<std::string> without;
    for (const auto& plan : plans) {
        const auto checkpoints = selection.discover_all
                                     ? io::discover_checkpoints(plan, selection.alternative_dirs)
                                     : io::expected_checkpoints(plan, selection.alternative_dirs);
        if (table.add_run(plan, checkpoints) == 0)
            without.push_back(plan.size);
    }
    const std::string list = join(without, ", ");
    if (table.empty()) {
        std::string where = "'" + plans.front().save_folder + "'";
        if (plans.size() > 1)
            where += " and the other sizes' folders";
        if (!selection.alternative_dirs.empty())
            where += " or the alternative dirs";
        throw std::runtime_error("no metrics files found for size(s) " + list +
                                 " (no metrics_step<N>.json in " + where + ")");
    }
    if (!without.empty())
        spdlog::warn("no metrics files found for size(s) {}", list);
    if (!options.output) {
        io::write_table(table, format, std::cout);
        return;
    }
    write_text_atomically(*options.output,
                          [&](std::ostream& out) { io::write_table(table, format, out); });
    std::cout << "Saved metrics of " << table.rows().size() << " checkpoint(s) to '"
              << *options.output << "'\n";
}

}  // namespace

void register_metrics(CLI::App& app, CommonOptions& common) {
    auto options = std::make_shared<MetricsOptions>();
    CLI::App* command = app.add_subcommand(
        "metrics",
        "Collect the metrics files of runs into one table: name, step, tokens, size, "
        "num_params and every metric");
    add_run_selection_options(command, options->selection);
    command->add_option("--prefix", options->prefix,
                        "keep only metrics whose names start with this (e.g. eval/)");
    command->add_option("-o,--output", options->output,
                        "write the table to FILE (.csv, .jsonl or .md) instead of CSV on stdout");
    add_config_option(command, common);
    command->callback([options, &common] { metrics(*options, common); });
}

}  // namespace ladder::cli
