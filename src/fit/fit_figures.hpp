// The figures of a fit, as PNG and SVG: loss against tokens per size with the fitted
// curves; predicted against actual loss; with the task law, accuracy against task loss
// with the sigmoid.
#pragma once

#include <string>
#include <vector>

#include "fit/fit_report.hpp"

namespace ladder::fit {

// Writes into `dir` (created); returns the paths written.
std::vector<std::string> write_fit_figures(const FitReport& report, const std::string& dir);

}  // namespace ladder::fit
