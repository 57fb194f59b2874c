// LR plots drawn in the terminal with Braille dots (2x4 per character cell).
#pragma once

#include <string>

#include "plot/lr_figure.hpp"

namespace ladder::plot {

// `columns` x `rows` character cells for the plot area, plus axis labels around it.
// Curves are colored with ANSI escapes when `color` is set.
std::string render_terminal(const LrFigure& figure, int columns = 72, int rows = 16,
                            bool color = false);

}  // namespace ladder::plot
