// A scatter-and-line chart for fitted laws and metric curves: series of points drawn as
// markers or as a line, linear or logarithmic x, ticks, axis labels, a legend and a
// caption; PNG or SVG by extension.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "plot/plot_layout.hpp"

namespace ladder::plot {

enum class Marker { circle, square, triangle, diamond };

// A point whose y is not finite (or, on a logarithmic x axis, whose x is not positive) is
// not drawn, and a line breaks there.
struct XYSeries {
    std::string label;  // in the legend; empty: not listed
    std::vector<std::pair<double, double>> points;
    bool line = false;  // a polyline through the points, else a marker at each
    size_t color = 0;   // index into the curve palette
    // Styles that tell many series apart (defaults: the plain line or dots above).
    std::vector<double> dashes = {};        // on and off lengths in pixels; empty: a solid line
    bool line_markers = false;              // a line with a marker at each point as well
    Marker marker = Marker::circle;         // the markers' shape
    bool hollow = false;                    // markers as outlines filled white
    std::optional<Rgb> rgb = std::nullopt;  // this color instead of the palette's
};

struct XYChart {
    std::string title;
    std::string x_label, y_label;
    bool log_x = false;
    std::vector<XYSeries> series;
    bool legend_left = false;  // top left instead of top right, where the data leave room
    std::vector<std::string> caption = {};  // lines under the x axis label; each adds 20 px
};

// The size of the image write_xy_chart draws for `chart`, in pixels.
std::pair<int, int> xy_chart_size(const XYChart& chart);

// Throws std::runtime_error when the file cannot be written.
void write_xy_chart(const XYChart& chart, const std::string& path);

// Ticks for [low, high]: about `count` round values for a linear axis; 1, 2 and 5 times
// powers of ten (or only powers of ten over wide ranges) for a logarithmic one.
std::vector<double> axis_ticks(double low, double high, bool log_scale, int count = 6);

}  // namespace ladder::plot
