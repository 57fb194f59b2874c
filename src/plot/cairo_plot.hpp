// LR plots as image files, drawn with cairo (PNG and SVG).
#pragma once

#include <string>

#include "plot/lr_figure.hpp"

namespace ladder::plot {

// Writes the figure to `path`; the format follows the extension (.png or .svg).
// Throws std::runtime_error when the file cannot be written.
void write_lr_plot(const LrFigure& figure, const std::string& path);

}  // namespace ladder::plot
