// LR figures: what they hold, where ticks go, and the terminal rendering.
#include <catch2/catch.hpp>

#include "config/load.hpp"
#include "e2e/run_ladder.hpp"
#include "plot/plot_layout.hpp"
#include "plot/terminal_plot.hpp"

using namespace ladder;
using ladder::test::count_of;

namespace {

RunPlan plan_190m() {
    return plan_run(config::load_config(std::nullopt, {}), "190M");
}

}  // namespace

TEST_CASE("a figure holds every step, the period ends and the checkpoints of the plan", "[plot]") {
    const RunPlan plan = plan_190m();
    const plot::LrFigure figure = plot::make_lr_figure({plan});
    REQUIRE(figure.curves.size() == 1);
    const auto& curve = figure.curves.front();
    REQUIRE(curve.points.size() == 29046);
    CHECK(curve.points.front().tokens == 524288);
    CHECK(curve.points.back().tokens == 29046.0 * 524288);
    CHECK(curve.points[99].lr == plan.lr_at_step(100));
    REQUIRE(curve.periods.size() == 4);
    CHECK(curve.periods[0].label == "0.5xC");
    CHECK(curve.periods[3].label == "4xC");
    CHECK(curve.periods[1].tokens == 3806855168);
    REQUIRE(curve.checkpoints.size() == 8);
    CHECK(curve.checkpoints[0].lr == plan.lr_at_step(3267));
    CHECK(curve.checkpoints[1].lr == 0.0);
    CHECK(figure.title == "Learning rate schedule for a 190.4M model out to 4.0xC");
    CHECK(figure.caption[0] == "peak LR=0.001945, batch size=524.3K tokens, 1xC=3.8B tokens");
    CHECK(figure.caption[1] ==
          "warmup=190.4M tokens / 363 steps, duration=15.2B tokens / 29,046 steps");
}

TEST_CASE("ticks are round numbers covering the axis", "[plot]") {
    CHECK(plot::nice_ticks(15.2e9, 8) ==
          std::vector<double>{0, 2e9, 4e9, 6e9, 8e9, 10e9, 12e9, 14e9});
    CHECK(plot::nice_ticks(0.0025, 6).size() == 6);
    const auto layout = plot::layout_for(plot::make_lr_figure({plan_190m()}));
    CHECK(layout.x_ticks[1].label == "2B");
    CHECK(layout.y_ticks[1].label == "0.0005");
    CHECK(layout.x_pixel(0) == layout.left);
    CHECK(layout.y_pixel(0) == layout.bottom);
}

TEST_CASE("the terminal plot is a grid of Braille cells with axis labels", "[plot]") {
    const auto figure = plot::make_lr_figure({plan_190m()});
    const std::string text = plot::render_terminal(figure, 40, 10, false);
    CHECK(text.rfind(figure.title + "\n", 0) == 0);
    CHECK(count_of(text, "┤") == 10);
    CHECK(count_of(text, "─") == 40);
    CHECK(text.find("1.95e-03 ┤") != std::string::npos);
    CHECK(text.find("15.2B tokens") != std::string::npos);
    CHECK(text.find("\033[") == std::string::npos);
    // The stable LR draws along the top row: most of its cells have a dot.
    const size_t first_row = text.find("┤");
    const std::string top = text.substr(first_row, text.find('\n', first_row) - first_row);
    CHECK(count_of(top, "⠉") > 20);
    CHECK(plot::render_terminal(figure, 40, 10, true).find("\033[34m") != std::string::npos);
}
