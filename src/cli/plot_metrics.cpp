// `ladder plot-metrics SIZE...`: the runs' metrics.jsonl logs as loss curves against
// tokens, PNG + SVG.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <set>

#include "cli/common.hpp"
#include "io/metrics_log.hpp"
#include "io/run_discovery.hpp"
#include "plot/metrics_figure.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/format.hpp"

namespace ladder::cli {

namespace {

namespace fs = std::filesystem;

struct PlotMetricsOptions {
    std::vector<std::string> sizes;
    std::vector<std::string> metrics;  // glob patterns; empty: the default loss curves
    std::optional<std::string> output;
};

plot::MetricsRun read_run(const RunPlan& plan, const io::MetricFilter& keep) {
    const std::string path = (fs::path(plan.save_folder) / io::kMetricsLogFile).string();
    if (!fs::exists(path))
        throw UsageError("no metrics log '" + path + "': the " + plan.size +
                         " run has not logged yet");
    io::MetricsLog log = io::read_metrics_log(path, keep);
    if (log.rows.empty())
        throw UsageError("metrics log '" + path + "' has no steps: the " + plan.size +
                         " run has not logged yet");
    return {plan, io::expected_checkpoints(plan, {}), std::move(log)};
}

// "a, b, c, … (12 in all)"
std::string some_names(const std::set<std::string>& names) {
    const size_t shown = 6;
    if (names.empty())
        return "none";
    const std::vector<std::string> first(names.begin(),
                                         std::next(names.begin(), std::min(shown, names.size())));
    const std::string more =
        names.size() > shown ? ", … (" + std::to_string(names.size()) + " in all)" : "";
    return join(first, ", ") + more;
}

// The metrics to draw; a pattern asked for that matches nothing in any log is an error.
std::vector<std::string> chosen_metrics(const PlotMetricsOptions& options,
                                        const std::vector<plot::MetricsRun>& runs) {
    std::set<std::string> available;
    for (const auto& run : runs)
        available.insert(run.log.names.begin(), run.log.names.end());
    const std::vector<std::string> names(available.begin(), available.end());
    for (const auto& pattern : options.metrics) {
        if (!plot::matching_metrics({pattern}, names).empty())
            continue;
        std::string message = "--metric '" + pattern + "' matches no metric in the logs";
        const std::string near = closest_match(pattern, names);
        if (!near.empty())
            message += " (did you mean '" + near + "'?)";
        throw UsageError(message + "; they have: " + some_names(available));
    }
    const auto& patterns =
        options.metrics.empty() ? plot::default_metric_patterns() : options.metrics;
    std::vector<std::string> chosen = plot::matching_metrics(patterns, names);
    if (chosen.empty()) {
        throw UsageError(
            "the logs have no train/CE loss or eval/lm/*/CE loss; pick metrics "
            "with --metric from: " +
            some_names(available));
    }
    return chosen;
}

void plot_metrics(const PlotMetricsOptions& options, const CommonOptions& common) {
    const config::LadderConfig config = load_ladder(common);
    const auto& patterns =
        options.metrics.empty() ? plot::default_metric_patterns() : options.metrics;
    const io::MetricFilter keep = [&patterns](const std::string& name) {
        return std::any_of(patterns.begin(), patterns.end(),
                           [&name](const std::string& p) { return plot::metric_matches(p, name); });
    };
    std::vector<plot::MetricsRun> runs;
    for (const auto& size : options.sizes)
        runs.push_back(read_run(plan_run(config, size), keep));
    const plot::XYChart chart =
        plot::make_metrics_chart(config.name, runs, chosen_metrics(options, runs));

    const std::string folder = options.output.value_or(output_folder(std::nullopt, config));
    create_output_folder(folder, "--output");
    const std::string stem = "metrics_" + join(options.sizes, "_");
    for (const char* extension : {".png", ".svg"}) {
        const std::string path = (fs::path(folder) / (stem + extension)).string();
        write_atomically(path, [&chart](const std::string& temporary) {
            plot::write_xy_chart(chart, temporary);
        });
        std::cout << "Saved metrics plot to '" << path << "'\n";
    }
}

}  // namespace

void register_plot_metrics(CLI::App& app, CommonOptions& common) {
    auto options = std::make_shared<PlotMetricsOptions>();
    CLI::App* command = app.add_subcommand(
        "plot-metrics",
        "Draw the loss curves of one or more sizes from their metrics.jsonl, with checkpoints");
    command->add_option("sizes", options->sizes, "model sizes, overlaid in one plot")->required();
    command
        ->add_option("--metric", options->metrics,
                     "a metric to draw, or a glob of them ('eval/lm/*/PPL'); repeatable "
                     "(default: train/CE loss and every eval/lm/*/CE loss)")
        ->allow_extra_args(false);  // one name each, so the sizes may follow
    command->add_option("-o,--output", options->output,
                        "folder for the PNG and SVG (default: ladder-output/<ladder name>)");
    add_config_option(command, common);
    command->callback([options, &common] { plot_metrics(*options, common); });
}

}  // namespace ladder::cli
