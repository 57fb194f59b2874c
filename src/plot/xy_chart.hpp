// A scatter-and-line chart for fitted laws: series of points drawn as markers or as a
// line, linear or logarithmic x, ticks, axis labels and a legend; PNG or SVG by extension.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ladder::plot {

struct XYSeries {
    std::string label;  // in the legend; empty: not listed
    std::vector<std::pair<double, double>> points;
    bool line = false;  // a polyline through the points, else a marker at each
    size_t color = 0;   // index into the curve palette
};

struct XYChart {
    std::string title;
    std::string x_label, y_label;
    bool log_x = false;
    std::vector<XYSeries> series;
    bool legend_left = false;  // top left instead of top right, where the data leave room
};

// Throws std::runtime_error when the file cannot be written.
void write_xy_chart(const XYChart& chart, const std::string& path);

// Ticks for [low, high]: about `count` round values for a linear axis; 1, 2 and 5 times
// powers of ten (or only powers of ten over wide ranges) for a logarithmic one.
std::vector<double> axis_ticks(double low, double high, bool log_scale, int count = 6);

}  // namespace ladder::plot
