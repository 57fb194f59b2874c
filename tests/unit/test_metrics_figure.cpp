// The plot-metrics chart: which metrics, one color per size and a style per metric, the
// checkpoints on the curve, the token axis and the caption.
#include <catch2/catch.hpp>
#include <cmath>

#include "plot/metrics_figure.hpp"

using namespace ladder;
using plot::MetricsRun;

namespace {

const std::string kTrain = "train/CE loss";
const std::string kEval = "eval/lm/sotu/CE loss";

// A run of `size` with 4,096 tokens a step and 100 planned steps, logged every 10 steps up
// to `last`, the train loss falling by 0.1 a log, null at step 50, an eval every 20 steps;
// planned checkpoints at 25 (on disk), 30 and 95.
MetricsRun run(const std::string& size, int64_t last) {
    MetricsRun r;
    r.plan.size = size;
    r.plan.duration_steps = 100;
    r.plan.batch.global_batch_size = 4096;
    for (int64_t step = 10; step <= last; step += 10) {
        io::MetricsLogRow row{step, step * 4096, {}};
        row.metrics[kTrain] = step == 50 ? std::nullopt : std::optional<double>(7 - step / 100.0);
        if (step % 20 == 0)
            row.metrics[kEval] = 7.5 - step / 100.0;
        r.log.rows.push_back(row);
    }
    r.log.names = {kEval, kTrain, "optim/LR (group 0)"};
    r.checkpoints = {{"initialization", 0, 0, "", std::nullopt, true},
                     {"a", 25, 25 * 4096, "", std::nullopt, true},
                     {"b", 30, 30 * 4096, "", std::nullopt, false},
                     {"c", 95, 95 * 4096, "", std::nullopt, false}};
    return r;
}

const plot::XYSeries& series(const plot::XYChart& chart, const std::string& label) {
    for (const auto& s : chart.series) {
        if (s.label == label)
            return s;
    }
    FAIL("no series " << label);
    throw;
}

}  // namespace

TEST_CASE("the default metrics are the train loss and the LM evals' CE losses", "[plot_metrics]") {
    const std::vector<std::string> names = {"eval/lm/b/CE loss", "eval/lm/a/PPL",
                                            "eval/lm/a/CE loss", "optim/LR (group 0)", kTrain};
    CHECK(plot::matching_metrics(plot::default_metric_patterns(), names) ==
          std::vector<std::string>{kTrain, "eval/lm/a/CE loss", "eval/lm/b/CE loss"});
    CHECK(plot::matching_metrics({"eval/lm/a/*", "*"}, names) ==
          std::vector<std::string>{"eval/lm/a/CE loss", "eval/lm/a/PPL", "eval/lm/b/CE loss",
                                   "optim/LR (group 0)", kTrain});
    CHECK(plot::matching_metrics({"nothing*"}, names).empty());
}

TEST_CASE("each size has a color, each metric a style, nulls break the line", "[plot_metrics]") {
    const auto chart =
        plot::make_metrics_chart("demo", {run("1M", 90), run("14M", 60)}, {kTrain, kEval});
    const auto& train = series(chart, "1M: train/CE loss");
    CHECK(train.line);
    CHECK(train.dashes.empty());
    CHECK_FALSE(train.line_markers);
    CHECK(train.color == 0);
    REQUIRE(train.points.size() == 9);
    CHECK(train.points[0].first == 40960);
    CHECK(train.points[0].second == Approx(6.9));
    CHECK(std::isnan(train.points[4].second));
    const auto& eval = series(chart, "14M: eval/lm/sotu/CE loss");
    CHECK(eval.color == 1);
    CHECK_FALSE(eval.dashes.empty());
    CHECK(eval.line_markers);
    CHECK(eval.points.size() == 3);  // steps 20, 40, 60
    CHECK(series(chart, "14M: train/CE loss").dashes.empty());
}

TEST_CASE("checkpoints in the logged range sit on the first curve, filled when on disk",
          "[plot_metrics]") {
    const auto chart =
        plot::make_metrics_chart("demo", {run("1M", 90), run("14M", 60)}, {kTrain, kEval});
    const auto& on_disk = series(chart, "checkpoint on disk");
    CHECK_FALSE(on_disk.line);
    CHECK_FALSE(on_disk.hollow);
    // Step 25 of each run: halfway between the logs of steps 20 and 30.
    REQUIRE(on_disk.points.size() == 2);
    CHECK(on_disk.points[0].first == 25 * 4096);
    CHECK(on_disk.points[0].second == Approx(6.75));
    const auto& missing = series(chart, "checkpoint planned, not on disk");
    CHECK(missing.hollow);
    // Step 30 of each run; step 95 is past both logs.
    REQUIRE(missing.points.size() == 2);
    CHECK(missing.points[0].first == 30 * 4096);
    CHECK(missing.points[0].second == Approx(6.7));
}

TEST_CASE("one metric labels curves by size; tokens go on a log axis over a decade",
          "[plot_metrics]") {
    auto chart = plot::make_metrics_chart("demo", {run("1M", 100)}, {kTrain});
    CHECK(chart.series.front().label == "1M");
    CHECK(chart.log_x);
    CHECK(chart.x_label == "tokens (log scale)");
    CHECK(chart.y_label == kTrain);
    CHECK(chart.title == "train/CE loss against tokens: 1M");
    REQUIRE(chart.caption.size() == 2);
    CHECK(chart.caption[0].find("ladder demo") == 0);
    CHECK(chart.caption[0].find("not smoothed") != std::string::npos);
    CHECK(chart.caption[1] ==
          "1M: logged to step 100 of 100 (409.6K of 409.6K tokens); 1 of 3 planned "
          "checkpoints on disk");
    // Steps 10 to 60 span less than a decade of tokens; 10 to 100 spanned one.
    chart = plot::make_metrics_chart("demo", {run("1M", 60)}, {kTrain, kEval});
    CHECK_FALSE(chart.log_x);
    CHECK(chart.x_label == "tokens");
    CHECK(chart.y_label == "CE loss");
}
