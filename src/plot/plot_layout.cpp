#include "plot/plot_layout.hpp"

#include <cmath>

#include "util/format.hpp"

namespace ladder::plot {

Rgb curve_color(size_t index) {
    static const Rgb palette[] = {
        {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
        {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498}, {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
    };
    return palette[index % (sizeof palette / sizeof palette[0])];
}

double nice_step(double raw) {
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double factor : {1.0, 2.0, 5.0}) {
        if (factor * magnitude >= raw)
            return factor * magnitude;
    }
    return 10.0 * magnitude;
}

std::vector<double> nice_ticks(double max, int count) {
    std::vector<double> ticks;
    if (!(max > 0))
        return {0.0};
    const double step = nice_step(max / count);
    for (int i = 0; i * step <= max * (1 + 1e-9); ++i)
        ticks.push_back(i * step);
    return ticks;
}

PlotLayout layout_for(const LrFigure& figure, double width, double height) {
    PlotLayout layout;
    layout.width = width;
    layout.height = height;
    layout.left = 100;
    layout.right = width - 40;
    layout.top = 60;
    layout.bottom = height - 80 - 20.0 * static_cast<double>(figure.caption.size());
    layout.x_max = std::max(1.0, figure.max_tokens() * 1.02);
    layout.y_max = figure.max_lr() > 0 ? figure.max_lr() * 1.3 : 1.0;
    for (double value : nice_ticks(layout.x_max, 8)) {
        layout.x_ticks.push_back({value, value == 0 ? "0" : format_count(value)});
    }
    for (double value : nice_ticks(layout.y_max, 6)) {
        // Round away the binary noise of i * step before printing.
        const double shown = std::stod(scientific(value, 6));
        layout.y_ticks.push_back({value, shortest_number(shown)});
    }
    return layout;
}

}  // namespace ladder::plot
