#include "plot/metrics_figure.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <optional>

#include "util/format.hpp"

namespace ladder::plot {

namespace {

const Rgb kCheckpointColor{0.173, 0.627, 0.173};  // green, as the LR plot's checkpoints

// Metrics other than evals: solid, dotted, dash-dot, dashed. Evals: dashed, a marker shape
// each.
const std::vector<std::vector<double>> kLineDashes = {{}, {2, 3}, {10, 3, 2, 3}, {10, 4}};
const std::vector<double> kEvalDashes = {7, 4};
const Marker kEvalMarkers[] = {Marker::circle, Marker::square, Marker::triangle, Marker::diamond};

bool is_eval(const std::string& metric) {
    return metric.rfind("eval/", 0) == 0;
}

struct LoggedPoint {
    int64_t step = 0;
    double tokens = 0;
    double value = 0;
};

// The finite values of `metric` in the run's log, by step.
std::vector<LoggedPoint> logged_points(const MetricsRun& run, const std::string& metric) {
    std::vector<LoggedPoint> points;
    for (const auto& row : run.log.rows) {
        const auto it = row.metrics.find(metric);
        if (it != row.metrics.end() && it->second && std::isfinite(*it->second))
            points.push_back({row.step, static_cast<double>(row.tokens), *it->second});
    }
    return points;
}

// Every logged value of `metric`; a null is NaN, which breaks the line.
std::vector<std::pair<double, double>> curve(const MetricsRun& run, const std::string& metric) {
    std::vector<std::pair<double, double>> points;
    for (const auto& row : run.log.rows) {
        const auto it = row.metrics.find(metric);
        if (it != row.metrics.end()) {
            points.emplace_back(static_cast<double>(row.tokens),
                                it->second.value_or(std::numeric_limits<double>::quiet_NaN()));
        }
    }
    return points;
}

// Where `step` lies on the curve, between the logged steps around it; nullopt outside them.
std::optional<std::pair<double, double>> at_step(const std::vector<LoggedPoint>& points,
                                                 int64_t step) {
    const auto after =
        std::lower_bound(points.begin(), points.end(), step,
                         [](const LoggedPoint& point, int64_t s) { return point.step < s; });
    if (after == points.end())
        return std::nullopt;
    if (after->step == step)
        return std::make_pair(after->tokens, after->value);
    if (after == points.begin())
        return std::nullopt;
    const LoggedPoint& before = *(after - 1);
    const double f =
        static_cast<double>(step - before.step) / static_cast<double>(after->step - before.step);
    return std::make_pair(before.tokens + f * (after->tokens - before.tokens),
                          before.value + f * (after->value - before.value));
}

std::string progress_line(const MetricsRun& run) {
    const int64_t steps = run.plan.last_step();
    std::string line = run.plan.size + ": ";
    if (run.log.rows.empty()) {
        line += "nothing logged yet";
    } else {
        const auto& last = run.log.rows.back();
        line += "logged to step " + with_commas(last.step) + " of " + with_commas(steps) + " (" +
                format_count(static_cast<double>(last.tokens)) + " of " +
                format_tokens(static_cast<double>(steps * run.plan.batch.global_batch_size)) + ")";
    }
    int64_t planned = 0, on_disk = 0;
    for (const auto& checkpoint : run.checkpoints) {
        if (checkpoint.step > 0) {
            ++planned;
            on_disk += checkpoint.exists ? 1 : 0;
        }
    }
    return line + "; " + std::to_string(on_disk) + " of " + std::to_string(planned) +
           " planned checkpoints on disk";
}

std::string quantity(const std::vector<std::string>& metrics) {
    if (metrics.size() == 1)
        return metrics.front();
    const bool all_ce = std::all_of(metrics.begin(), metrics.end(),
                                    [](const std::string& m) { return ends_with(m, "CE loss"); });
    return all_ce ? "CE loss" : "Metrics";
}

// Log tokens when the curves span a decade or more: the early steps and the sizes, whose
// durations differ by orders of magnitude, then all stay readable.
bool wants_log_tokens(const XYChart& chart) {
    double low = std::numeric_limits<double>::infinity(), high = 0;
    for (const auto& series : chart.series) {
        for (const auto& [tokens, value] : series.points) {
            if (tokens > 0) {
                low = std::min(low, tokens);
                high = std::max(high, tokens);
            }
        }
    }
    return high >= 10 * low;
}

}  // namespace

const std::vector<std::string>& default_metric_patterns() {
    static const std::vector<std::string> patterns = {"train/CE loss", "eval/lm/*/CE loss"};
    return patterns;
}

bool metric_matches(const std::string& pattern, const std::string& name) {
    return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

std::vector<std::string> matching_metrics(const std::vector<std::string>& patterns,
                                          const std::vector<std::string>& available) {
    std::vector<std::string> sorted = available;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::string> chosen;
    for (const auto& pattern : patterns) {
        for (const auto& name : sorted) {
            if (metric_matches(pattern, name) &&
                std::find(chosen.begin(), chosen.end(), name) == chosen.end()) {
                chosen.push_back(name);
            }
        }
    }
    return chosen;
}

XYChart make_metrics_chart(const std::string& ladder_name, const std::vector<MetricsRun>& runs,
                           const std::vector<std::string>& metrics) {
    XYChart chart;
    std::vector<std::string> names;
    for (const auto& run : runs)
        names.push_back(run.plan.size);
    const std::string sizes = join(names, ", ");
    chart.title = quantity(metrics) + " against tokens: " + sizes;
    chart.y_label = quantity(metrics);
    chart.caption.push_back("ladder " + ladder_name +
                            "; values as logged in each run's metrics.jsonl, not smoothed");

    XYSeries on_disk{"checkpoint on disk", {}, false, 0};
    on_disk.rgb = kCheckpointColor;
    XYSeries missing{"checkpoint planned, not on disk", {}, false, 0};
    missing.rgb = kCheckpointColor;
    missing.hollow = true;
    for (size_t r = 0; r < runs.size(); ++r) {
        const MetricsRun& run = runs[r];
        std::vector<LoggedPoint> first_curve;  // where the checkpoints are marked
        size_t evals = 0, others = 0;
        for (const auto& metric : metrics) {
            XYSeries series{metrics.size() == 1 ? run.plan.size : run.plan.size + ": " + metric,
                            curve(run, metric), true, r};
            if (is_eval(metric)) {
                series.dashes = kEvalDashes;
                series.line_markers = true;
                series.marker = kEvalMarkers[evals++ % std::size(kEvalMarkers)];
            } else {
                series.dashes = kLineDashes[others++ % kLineDashes.size()];
            }
            if (series.points.empty())
                continue;
            series.line_markers |= series.points.size() == 1;  // a line needs two points
            chart.series.push_back(std::move(series));
            if (first_curve.empty())
                first_curve = logged_points(run, metric);
        }
        for (const auto& checkpoint : run.checkpoints) {
            if (checkpoint.step == 0)
                continue;
            if (const auto point = at_step(first_curve, checkpoint.step))
                (checkpoint.exists ? on_disk : missing).points.push_back(*point);
        }
        chart.caption.push_back(progress_line(run));
    }
    for (XYSeries* marks : {&on_disk, &missing}) {
        if (!marks->points.empty())
            chart.series.push_back(std::move(*marks));
    }
    chart.log_x = wants_log_tokens(chart);
    chart.x_label = chart.log_x ? "tokens (log scale)" : "tokens";
    return chart;
}

}  // namespace ladder::plot
