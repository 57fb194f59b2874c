// The cairo basics every figure shares: colors, text placement, and writing a drawing to a
// PNG or SVG file by the path's extension.
#pragma once

#include <cairo.h>

#include <functional>
#include <string>

#include "plot/plot_layout.hpp"

namespace ladder::plot {

void set_color(cairo_t* cr, Rgb c, double alpha = 1.0);

// Text anchored at (x, y): align 0 = left/top edge, 0.5 = centre, 1 = right/bottom edge.
void text_at(cairo_t* cr, const std::string& text, double x, double y, double size,
             double align_x = 0.0, double align_y = 0.0, bool bold = false);

// The width `text_at` gives `text` at this size.
double text_width(cairo_t* cr, const std::string& text, double size, bool bold = false);

// Draws a width x height canvas with `draw` into `path` (.svg, else PNG). Throws
// std::runtime_error when the file cannot be written.
void write_canvas(const std::string& path, double width, double height,
                  const std::function<void(cairo_t*)>& draw);

}  // namespace ladder::plot
