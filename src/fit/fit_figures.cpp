#include "fit/fit_figures.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "fit/text_table.hpp"
#include "plot/xy_chart.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace ladder::fit {

namespace {

using plot::XYChart;
using plot::XYSeries;

// At most this many markers a series: more add nothing a reader can see, and cost seconds
// and megabytes of SVG with a million rows.
constexpr size_t kMarkersPerSeries = 1000;

// At most `limit` of `items`, evenly spread over them.
template <class T>
std::vector<T> thinned(const std::vector<T>& items, size_t limit) {
    if (items.size() <= limit)
        return items;
    std::vector<T> kept;
    for (size_t k = 0; k < limit; ++k)
        kept.push_back(items[k * items.size() / limit]);
    return kept;
}

// Sizes in the order they first appear, each with its rows.
std::vector<std::pair<std::string, std::vector<Observation>>> by_size(const FitReport& report) {
    std::vector<std::pair<std::string, std::vector<Observation>>> groups;
    for (const auto& [size, row] : report.fitted) {
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&size = size](const auto& g) { return g.first == size; });
        if (it == groups.end()) {
            groups.push_back({size, {}});
            it = groups.end() - 1;
        }
        it->second.push_back(row);
    }
    if (report.holdout_size) {
        groups.push_back({*report.holdout_size + " (held out)", {}});
        for (const HoldoutRow& h : report.holdout)
            groups.back().second.push_back({h.n, h.d, h.actual});
    }
    return groups;
}

// The law along D for one N, across [low, high] tokens, on a log grid.
std::vector<std::pair<double, double>> curve(const LossLaw& law, double n, double low,
                                             double high) {
    std::vector<std::pair<double, double>> points;
    for (int i = 0; i <= 100; ++i) {
        const double d = low * std::pow(high / low, i / 100.0);
        points.emplace_back(d, law.predict(n, d));
    }
    return points;
}

}  // namespace

std::vector<std::string> write_fit_figures(const FitReport& report, const std::string& dir) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
        throw UsageError("--plot: cannot create folder '" + shown_path(dir) +
                         "': " + error.message());
    }
    const LossLaw& law = report.fit.law;
    std::vector<XYChart> charts;
    std::vector<std::string> stems;

    XYChart loss{"Loss law: " + report.loss_column + " against tokens",
                 "tokens (D)",
                 report.loss_column,
                 true,
                 {}};
    XYChart scatter{
        "Predicted against actual " + report.loss_column, "actual", "predicted", false, {}, true};
    double low = 0, high = 0;
    const auto groups = by_size(report);
    size_t color = 0;
    for (const auto& [size, rows] : groups) {
        XYSeries observed{size, {}, false, color};
        XYSeries predicted{size, {}, false, color};
        double d_low = rows.front().d, d_high = rows.front().d;
        for (const Observation& row : rows) {
            d_low = std::min(d_low, row.d);
            d_high = std::max(d_high, row.d);
            low = low == 0 ? row.loss : std::min(low, row.loss);
            high = std::max(high, row.loss);
        }
        for (const Observation& row : thinned(rows, kMarkersPerSeries)) {
            observed.points.emplace_back(row.d, row.loss);
            predicted.points.emplace_back(row.loss, law.predict(row.n, row.d));
        }
        loss.series.push_back(observed);
        loss.series.push_back(
            {"", curve(law, rows.front().n, d_low / 1.5, d_high * 1.5), true, color});
        scatter.series.push_back(predicted);
        ++color;
    }
    scatter.series.push_back({"predicted = actual", {{low, low}, {high, high}}, true, 7});
    charts.push_back(loss);
    stems.push_back("loss_law");
    charts.push_back(scatter);
    stems.push_back("predicted_vs_actual");

    if (report.task_law) {
        const Sigmoid& s = report.task_law->fit.law;
        XYChart task{
            "Task law: " + report.task_law->accuracy_column + " against " + report.loss_column,
            report.loss_column,
            report.task_law->accuracy_column,
            false,
            {}};
        XYSeries points{"checkpoints", thinned(report.task_law->points, kMarkersPerSeries), false,
                        0};
        double largest = 0;
        for (const auto& point : report.task_law->points)
            largest = std::max(largest, point.first);
        XYSeries sigmoid{"fitted sigmoid", {}, true, 1};
        for (int i = 0; i <= 100; ++i) {
            const double l = largest * 1.1 * i / 100.0;
            sigmoid.points.emplace_back(l, s(l));
        }
        task.series = {points, sigmoid};
        charts.push_back(task);
        stems.push_back("task_law");
    }

    std::vector<std::string> written;
    for (size_t i = 0; i < charts.size(); ++i) {
        for (const char* extension : {".png", ".svg"}) {
            const std::string path = (std::filesystem::path(dir) / (stems[i] + extension)).string();
            // Through a temporary: a failed write leaves no half-drawn figure behind.
            write_atomically(path, [&chart = charts[i]](const std::string& temporary) {
                plot::write_xy_chart(chart, temporary);
            });
            written.push_back(path);
        }
    }
    return written;
}

}  // namespace ladder::fit
