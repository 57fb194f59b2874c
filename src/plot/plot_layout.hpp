// Where things go on an LR plot: the plot area, data-to-pixel mapping and axis ticks.
// Shared by the image renderer and by tests that read the curve back from a PNG.
#pragma once

#include <string>
#include <vector>

#include "plot/lr_figure.hpp"

namespace ladder::plot {

struct Tick {
    double value = 0;
    std::string label;
};

struct Rgb {
    double r, g, b;
};

// Curve colors, in the order curves are drawn (matplotlib's tab10).
Rgb curve_color(size_t index);

struct PlotLayout {
    double width = 0, height = 0;                     // canvas, pixels
    double left = 0, top = 0, right = 0, bottom = 0;  // plot area edges, pixels
    double x_max = 1, y_max = 1;                      // data shown: [0, x_max] x [0, y_max]
    std::vector<Tick> x_ticks, y_ticks;

    double x_pixel(double tokens) const { return left + (right - left) * tokens / x_max; }
    double y_pixel(double lr) const { return bottom - (bottom - top) * lr / y_max; }
};

PlotLayout layout_for(const LrFigure& figure, double width = 1200, double height = 700);

// The smallest of 1, 2, 5 or 10 times a power of ten that is at least `raw` (> 0).
double nice_step(double raw);

// About `count` round tick values (1, 2 or 5 times a power of ten) from 0 to `max`.
std::vector<double> nice_ticks(double max, int count);

}  // namespace ladder::plot
