#include "plot/cairo_canvas.hpp"

#include <cairo-svg.h>

#include <stdexcept>

#include "util/format.hpp"

namespace ladder::plot {

namespace {

constexpr const char* kFont = "DejaVu Sans";

}  // namespace

void set_color(cairo_t* cr, Rgb c, double alpha) {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

void text_at(cairo_t* cr, const std::string& text, double x, double y, double size, double align_x,
             double align_y, bool bold) {
    cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text.c_str(), &extents);
    cairo_move_to(cr, x - extents.x_advance * align_x - extents.x_bearing * (1 - align_x),
                  y - extents.y_bearing * (1 - align_y) - extents.height * align_y);
    cairo_show_text(cr, text.c_str());
}

double text_width(cairo_t* cr, const std::string& text, double size, bool bold) {
    cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text.c_str(), &extents);
    return extents.x_advance;
}

void write_canvas(const std::string& path, double width, double height,
                  const std::function<void(cairo_t*)>& draw) {
    const bool svg = ends_with(path, ".svg");
    cairo_surface_t* surface =
        svg ? cairo_svg_surface_create(path.c_str(), width, height)
            : cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(width),
                                         static_cast<int>(height));
    cairo_t* cr = cairo_create(surface);
    draw(cr);
    cairo_destroy(cr);
    cairo_status_t status = CAIRO_STATUS_SUCCESS;
    if (svg) {
        cairo_surface_finish(surface);
        status = cairo_surface_status(surface);
    } else {
        status = cairo_surface_write_to_png(surface, path.c_str());
    }
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS) {
        throw std::runtime_error("cannot write plot '" + path +
                                 "': " + cairo_status_to_string(status));
    }
}

}  // namespace ladder::plot
