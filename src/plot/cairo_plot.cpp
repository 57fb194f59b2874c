#include "plot/cairo_plot.hpp"

#include <cairo.h>

#include <cmath>
#include <stdexcept>

#include "plot/cairo_canvas.hpp"
#include "plot/plot_layout.hpp"

namespace ladder::plot {

namespace {

const Rgb kPeriodColor{0.839, 0.153, 0.157};      // red, as OLMo-core's period lines
const Rgb kCheckpointColor{0.173, 0.627, 0.173};  // green, as OLMo-core's checkpoint dots

void draw_axes(cairo_t* cr, const PlotLayout& layout) {
    // Grid and ticks.
    cairo_set_line_width(cr, 1.0);
    for (const auto& tick : layout.x_ticks) {
        const double x = std::round(layout.x_pixel(tick.value)) + 0.5;
        set_color(cr, {0.88, 0.88, 0.88});
        cairo_move_to(cr, x, layout.top);
        cairo_line_to(cr, x, layout.bottom);
        cairo_stroke(cr);
        set_color(cr, {0, 0, 0});
        cairo_move_to(cr, x, layout.bottom);
        cairo_line_to(cr, x, layout.bottom + 5);
        cairo_stroke(cr);
        text_at(cr, tick.label, x, layout.bottom + 8, 12, 0.5, 0.0);
    }
    for (const auto& tick : layout.y_ticks) {
        const double y = std::round(layout.y_pixel(tick.value)) + 0.5;
        set_color(cr, {0.88, 0.88, 0.88});
        cairo_move_to(cr, layout.left, y);
        cairo_line_to(cr, layout.right, y);
        cairo_stroke(cr);
        set_color(cr, {0, 0, 0});
        cairo_move_to(cr, layout.left - 5, y);
        cairo_line_to(cr, layout.left, y);
        cairo_stroke(cr);
        text_at(cr, tick.label, layout.left - 8, y, 12, 1.0, 0.5);
    }
    set_color(cr, {0, 0, 0});
    cairo_rectangle(cr, layout.left + 0.5, layout.top + 0.5, layout.right - layout.left,
                    layout.bottom - layout.top);
    cairo_stroke(cr);
}

void draw_periods(cairo_t* cr, const PlotLayout& layout, const LrCurve& curve, Rgb color) {
    const double dashes[] = {6.0, 4.0};
    for (const auto& mark : curve.periods) {
        const double x = layout.x_pixel(static_cast<double>(mark.tokens));
        set_color(cr, color, 0.5);
        cairo_set_line_width(cr, 1.5);
        cairo_set_dash(cr, dashes, 2, 0);
        cairo_move_to(cr, x, layout.top);
        cairo_line_to(cr, x, layout.bottom);
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
        // Label at the bottom, rotated 45 degrees, as OLMo-core's plot has it.
        cairo_save(cr);
        cairo_translate(cr, x + 3, layout.bottom - 6);
        cairo_rotate(cr, -M_PI / 4);
        text_at(cr, mark.label, 0, 0, 12, 0.0, 1.0);
        cairo_restore(cr);
    }
}

void draw_curve(cairo_t* cr, const PlotLayout& layout, const LrCurve& curve, Rgb color) {
    if (curve.points.empty())
        return;
    set_color(cr, color);
    cairo_set_line_width(cr, 2.0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    // Start at the origin: the LR before the first step is 0.
    cairo_move_to(cr, layout.x_pixel(0), layout.y_pixel(0));
    for (const auto& p : curve.points)
        cairo_line_to(cr, layout.x_pixel(p.tokens), layout.y_pixel(p.lr));
    cairo_stroke(cr);
}

void draw_checkpoints(cairo_t* cr, const PlotLayout& layout, const LrCurve& curve) {
    for (const auto& p : curve.checkpoints) {
        cairo_arc(cr, layout.x_pixel(p.tokens), layout.y_pixel(p.lr), 4.5, 0, 2 * M_PI);
        set_color(cr, kCheckpointColor);
        cairo_fill(cr);
    }
}

void draw_legend(cairo_t* cr, const PlotLayout& layout, const LrFigure& figure) {
    struct Entry {
        std::string label;
        Rgb color;
        bool dot;
    };
    std::vector<Entry> entries;
    for (size_t i = 0; i < figure.curves.size(); ++i) {
        entries.push_back({figure.curves[i].label, curve_color(i), false});
    }
    entries.push_back({"Checkpoint", kCheckpointColor, true});
    const double row = 20;
    const double box_width = 140;
    const double x = layout.right - box_width - 10;
    const double y = layout.top + 10;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, x, y, box_width, row * static_cast<double>(entries.size()) + 10);
    cairo_fill_preserve(cr);
    set_color(cr, {0.8, 0.8, 0.8});
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    for (size_t i = 0; i < entries.size(); ++i) {
        const double cy = y + 15 + row * static_cast<double>(i);
        set_color(cr, entries[i].color);
        if (entries[i].dot) {
            cairo_arc(cr, x + 22, cy, 4.5, 0, 2 * M_PI);
            cairo_fill(cr);
        } else {
            cairo_set_line_width(cr, 2.0);
            cairo_move_to(cr, x + 10, cy);
            cairo_line_to(cr, x + 34, cy);
            cairo_stroke(cr);
        }
        set_color(cr, {0, 0, 0});
        text_at(cr, entries[i].label, x + 44, cy, 12, 0.0, 0.5);
    }
}

void draw(cairo_t* cr, const LrFigure& figure, const PlotLayout& layout) {
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    draw_axes(cr, layout);
    const bool several = figure.curves.size() > 1;
    for (size_t i = 0; i < figure.curves.size(); ++i) {
        draw_periods(cr, layout, figure.curves[i], several ? curve_color(i) : kPeriodColor);
    }
    for (size_t i = 0; i < figure.curves.size(); ++i) {
        draw_curve(cr, layout, figure.curves[i], curve_color(i));
    }
    for (const auto& curve : figure.curves)
        draw_checkpoints(cr, layout, curve);
    draw_legend(cr, layout, figure);

    set_color(cr, {0, 0, 0});
    text_at(cr, figure.title, layout.width / 2, 22, 16, 0.5, 0.0, true);
    text_at(cr, "LR", 24, (layout.top + layout.bottom) / 2, 13, 0.5, 0.5);
    text_at(cr, "Tokens", (layout.left + layout.right) / 2, layout.bottom + 32, 13, 0.5, 0.0);
    double y = layout.bottom + 62;
    for (const auto& line : figure.caption) {
        text_at(cr, line, (layout.left + layout.right) / 2, y, 12, 0.5, 0.0);
        y += 20;
    }
}

}  // namespace

void write_lr_plot(const LrFigure& figure, const std::string& path) {
    const PlotLayout layout = layout_for(figure);
    write_canvas(path, layout.width, layout.height, [&](cairo_t* cr) { draw(cr, figure, layout); });
}

}  // namespace ladder::plot
