// The figure of `ladder plot-metrics`: metric curves from the runs' metrics.jsonl logs
// against tokens, one color per size and one line style per metric, with the planned
// checkpoints marked on each size's first curve.
#pragma once

#include <string>
#include <vector>

#include "io/metrics_log.hpp"
#include "io/run_discovery.hpp"
#include "ladder/run_plan.hpp"
#include "plot/xy_chart.hpp"

namespace ladder::plot {

struct MetricsRun {
    RunPlan plan;
    std::vector<io::RunCheckpointInfo> checkpoints;  // planned, each on disk or not
    io::MetricsLog log;
};

// What is drawn when no metric is asked for: train/CE loss and every eval/lm/*/CE loss.
const std::vector<std::string>& default_metric_patterns();

// Whether `name` matches the glob `pattern` (fnmatch, as the metric saver's patterns).
bool metric_matches(const std::string& pattern, const std::string& name);

// The names of `available` that match `patterns`: in pattern order, each pattern's
// matches sorted, none twice.
std::vector<std::string> matching_metrics(const std::vector<std::string>& patterns,
                                          const std::vector<std::string>& available);

// The chart of `metrics` for `runs` (in this order: their colors). Eval metrics are dashed
// lines with markers at each evaluation; tokens go on a log axis when they span a decade
// or more. Values are drawn as logged, without smoothing.
XYChart make_metrics_chart(const std::string& ladder_name, const std::vector<MetricsRun>& runs,
                           const std::vector<std::string>& metrics);

}  // namespace ladder::plot
