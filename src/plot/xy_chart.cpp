#include "plot/xy_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "plot/cairo_canvas.hpp"
#include "plot/plot_layout.hpp"
#include "util/format.hpp"

namespace ladder::plot {

namespace {

constexpr double kWidth = 1000, kHeight = 650;
constexpr double kLeft = 90, kTop = 60, kRight = kWidth - 40, kBottom = kHeight - 80;
constexpr double kCaptionLine = 20;

struct Axis {
    double low = 0, high = 1;
    bool log_scale = false;

    double fraction(double v) const {
        return log_scale ? (std::log(v) - std::log(low)) / (std::log(high) - std::log(low))
                         : (v - low) / (high - low);
    }
};

std::string tick_label(double value, bool log_scale) {
    if (log_scale || std::fabs(value) >= 1e4)
        return format_count(value);
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", std::fabs(value) < 1e-12 ? 0.0 : value);
    return text;
}

Rgb color_of(const XYSeries& series) {
    return series.rgb.value_or(curve_color(series.color));
}

void draw_marker(cairo_t* cr, const XYSeries& series, double x, double y) {
    const double r = 4.0;
    switch (series.marker) {
        case Marker::circle:
            cairo_new_sub_path(cr);
            cairo_arc(cr, x, y, r, 0, 2 * M_PI);
            break;
        case Marker::square:
            cairo_rectangle(cr, x - 0.9 * r, y - 0.9 * r, 1.8 * r, 1.8 * r);
            break;
        case Marker::triangle:
            cairo_move_to(cr, x, y - 1.25 * r);
            cairo_line_to(cr, x + 1.1 * r, y + 0.75 * r);
            cairo_line_to(cr, x - 1.1 * r, y + 0.75 * r);
            cairo_close_path(cr);
            break;
        case Marker::diamond:
            cairo_move_to(cr, x, y - 1.3 * r);
            cairo_line_to(cr, x + 1.3 * r, y);
            cairo_line_to(cr, x, y + 1.3 * r);
            cairo_line_to(cr, x - 1.3 * r, y);
            cairo_close_path(cr);
            break;
    }
    if (series.hollow) {
        set_color(cr, {1, 1, 1});
        cairo_fill_preserve(cr);
        set_color(cr, color_of(series));
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
    } else {
        set_color(cr, color_of(series));
        cairo_fill(cr);
    }
}

// A line segment from x0 to x1 at y in the series' style.
void draw_segment(cairo_t* cr, const XYSeries& series, double x0, double x1, double y) {
    set_color(cr, color_of(series));
    cairo_set_line_width(cr, 2.0);
    cairo_set_dash(cr, series.dashes.data(), static_cast<int>(series.dashes.size()), 0);
    cairo_move_to(cr, x0, y);
    cairo_line_to(cr, x1, y);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
}

}  // namespace

std::pair<int, int> xy_chart_size(const XYChart& chart) {
    return {static_cast<int>(kWidth),
            static_cast<int>(kHeight + kCaptionLine * static_cast<double>(chart.caption.size()))};
}

std::vector<double> axis_ticks(double low, double high, bool log_scale, int count) {
    std::vector<double> ticks;
    if (log_scale) {
        const double decades = std::log10(high) - std::log10(low);
        const std::vector<double> multiples =
            decades > 3 ? std::vector<double>{1} : std::vector<double>{1, 2, 5};
        for (double p = std::floor(std::log10(low)); p <= std::ceil(std::log10(high)); ++p) {
            for (double m : multiples) {
                const double v = m * std::pow(10.0, p);
                if (v >= low * (1 - 1e-9) && v <= high * (1 + 1e-9))
                    ticks.push_back(v);
            }
        }
        return ticks;
    }
    const double step = nice_step((high - low) / count);
    for (double v = std::ceil(low / step) * step; v <= high * (1 + 1e-12) + 1e-12; v += step)
        ticks.push_back(v);
    return ticks;
}

void write_xy_chart(const XYChart& chart, const std::string& path) {
    Axis x{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
           chart.log_x};
    Axis y{x.low, x.high, false};
    const auto shown = [&](double vx, double vy) {
        return std::isfinite(vx) && std::isfinite(vy) && (!x.log_scale || vx > 0);
    };
    for (const XYSeries& series : chart.series) {
        for (const auto& [px, py] : series.points) {
            if (!shown(px, py))
                continue;
            x.low = std::min(x.low, px);
            x.high = std::max(x.high, px);
            y.low = std::min(y.low, py);
            y.high = std::max(y.high, py);
        }
    }
    if (!(x.high > x.low)) {  // one point, or none: a unit range around it
        x.low = std::isfinite(x.low) ? x.low * 0.5 : 0.5;
        x.high = std::isfinite(x.high) ? x.high * 1.5 + (x.log_scale ? 0 : 1) : 1.5;
    }
    if (!(y.high > y.low)) {
        y.low = std::isfinite(y.low) ? y.low - 0.5 : 0;
        y.high = std::isfinite(y.high) ? y.high + 0.5 : 1;
    }
    const double pad = 0.05 * (y.high - y.low);
    y.low -= pad;
    y.high += pad;
    if (x.log_scale) {
        x.low /= 1.2;
        x.high *= 1.2;
    } else {
        const double x_pad = 0.03 * (x.high - x.low);
        x.low -= x_pad;
        x.high += x_pad;
    }
    const auto px = [&](double v) { return kLeft + (kRight - kLeft) * x.fraction(v); };
    const auto py = [&](double v) { return kBottom - (kBottom - kTop) * y.fraction(v); };

    const auto [width, height] = xy_chart_size(chart);
    write_canvas(path, width, height, [&](cairo_t* cr) {
        set_color(cr, {1, 1, 1});
        cairo_paint(cr);
        cairo_set_line_width(cr, 1.0);
        for (const double v : axis_ticks(x.low, x.high, x.log_scale, 8)) {
            const double at = std::round(px(v)) + 0.5;
            set_color(cr, {0.88, 0.88, 0.88});
            cairo_move_to(cr, at, kTop);
            cairo_line_to(cr, at, kBottom);
            cairo_stroke(cr);
            set_color(cr, {0, 0, 0});
            text_at(cr, tick_label(v, x.log_scale), at, kBottom + 8, 12, 0.5, 0.0);
        }
        for (const double v : axis_ticks(y.low, y.high, false, 6)) {
            const double at = std::round(py(v)) + 0.5;
            set_color(cr, {0.88, 0.88, 0.88});
            cairo_move_to(cr, kLeft, at);
            cairo_line_to(cr, kRight, at);
            cairo_stroke(cr);
            set_color(cr, {0, 0, 0});
            text_at(cr, tick_label(v, false), kLeft - 8, at, 12, 1.0, 0.5);
        }
        set_color(cr, {0, 0, 0});
        cairo_rectangle(cr, kLeft + 0.5, kTop + 0.5, kRight - kLeft, kBottom - kTop);
        cairo_stroke(cr);
        text_at(cr, chart.title, kWidth / 2, 20, 16, 0.5, 0.0, true);
        text_at(cr, chart.x_label, (kLeft + kRight) / 2, kBottom + 40, 14, 0.5, 0.0);
        for (size_t i = 0; i < chart.caption.size(); ++i) {
            text_at(cr, chart.caption[i], (kLeft + kRight) / 2,
                    kBottom + 70 + kCaptionLine * static_cast<double>(i), 12, 0.5, 0.0);
        }
        cairo_save(cr);
        cairo_translate(cr, 24, (kTop + kBottom) / 2);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, chart.y_label, 0, 0, 14, 0.5, 0.5);
        cairo_restore(cr);

        cairo_save(cr);
        cairo_rectangle(cr, kLeft, kTop, kRight - kLeft, kBottom - kTop);
        cairo_clip(cr);
        // Lines first, so markers stay visible on top of them.
        for (const bool lines : {true, false}) {
            for (const XYSeries& series : chart.series) {
                if (series.line != lines)
                    continue;
                if (series.line) {
                    set_color(cr, color_of(series));
                    cairo_set_line_width(cr, 2.0);
                    cairo_set_dash(cr, series.dashes.data(), static_cast<int>(series.dashes.size()),
                                   0);
                    bool drawing = false;
                    for (const auto& [vx, vy] : series.points) {
                        if (!shown(vx, vy)) {
                            drawing = false;
                            continue;
                        }
                        (drawing ? cairo_line_to : cairo_move_to)(cr, px(vx), py(vy));
                        drawing = true;
                    }
                    cairo_stroke(cr);
                    cairo_set_dash(cr, nullptr, 0, 0);
                }
                if (!series.line || series.line_markers) {
                    for (const auto& [vx, vy] : series.points) {
                        if (shown(vx, vy))
                            draw_marker(cr, series, px(vx), py(vy));
                    }
                }
            }
        }
        cairo_restore(cr);

        // Legend, inside the plot at the top; on the right it moves left for long labels.
        double at = chart.legend_left ? kLeft + 200 : kRight;
        if (!chart.legend_left) {
            double widest = 0;
            for (const XYSeries& series : chart.series)
                widest = std::max(widest, text_width(cr, series.label, 12));
            at -= std::max(0.0, widest - 150);
        }
        double row = kTop + 14;
        for (const XYSeries& series : chart.series) {
            if (series.label.empty())
                continue;
            if (series.line)
                draw_segment(cr, series, at - 190, at - 166, row);
            if (!series.line || series.line_markers)
                draw_marker(cr, series, at - 178, row);
            set_color(cr, {0, 0, 0});
            text_at(cr, series.label, at - 158, row, 12, 0.0, 0.5);
            row += 20;
        }
    });
}

}  // namespace ladder::plot
