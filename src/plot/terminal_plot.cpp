#include "plot/terminal_plot.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "util/format.hpp"

namespace ladder::plot {

namespace {

// Bit of each dot in a Braille cell (U+2800 + bits), by [row][column] within the cell.
constexpr int kDotBits[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
const char* const kAnsiColors[] = {"\033[34m", "\033[33m", "\033[35m", "\033[36m", "\033[32m"};
constexpr const char* kAnsiReset = "\033[0m";

std::string braille(int bits) {
    const int code = 0x2800 + bits;
    std::string out;
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
    return out;
}

struct Canvas {
    int columns, rows;
    std::vector<int> bits;   // per cell
    std::vector<int> owner;  // curve that last drew in the cell, for its color

    Canvas(int c, int r) : columns(c), rows(r), bits(c * r, 0), owner(c * r, -1) {}

    void set(int x, int y, int curve) {  // dot coordinates, y = 0 at the top
        if (x < 0 || y < 0 || x >= columns * 2 || y >= rows * 4)
            return;
        const int cell = (y / 4) * columns + x / 2;
        bits[cell] |= kDotBits[y % 4][x % 2];
        owner[cell] = curve;
    }

    void line(int x0, int y0, int x1, int y1, int curve) {
        const int steps = std::max({std::abs(x1 - x0), std::abs(y1 - y0), 1});
        for (int i = 0; i <= steps; ++i) {
            set(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps, curve);
        }
    }
};

std::string pad_left(const std::string& text, size_t width) {
    return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

}  // namespace

std::string render_terminal(const LrFigure& figure, int columns, int rows, bool color) {
    Canvas canvas(columns, rows);
    const int width = columns * 2;
    const int height = rows * 4;
    const double x_max = std::max(1.0, figure.max_tokens());
    const double y_max = figure.max_lr() > 0 ? figure.max_lr() : 1.0;
    const auto dot_x = [&](double tokens) {
        return static_cast<int>(std::lround(tokens / x_max * (width - 1)));
    };
    const auto dot_y = [&](double lr) {
        return height - 1 - static_cast<int>(std::lround(lr / y_max * (height - 1)));
    };

    for (size_t c = 0; c < figure.curves.size(); ++c) {
        // Samples are joined by lines, so a decay or a restart that falls inside one dot
        // column still draws as a vertical stroke.
        int previous_x = dot_x(0), previous_y = dot_y(0);
        for (const auto& p : figure.curves[c].points) {
            const int x = dot_x(p.tokens), y = dot_y(p.lr);
            canvas.line(previous_x, previous_y, x, y, static_cast<int>(c));
            previous_x = x;
            previous_y = y;
        }
    }

    const std::string top_label = scientific(y_max, 2);
    const size_t label_width = std::max<size_t>(top_label.size(), 1);
    std::string out = figure.title + "\n";
    for (int r = 0; r < rows; ++r) {
        std::string label = r == 0 ? top_label : (r == rows - 1 ? "0" : "");
        out += pad_left(label, label_width) + " ┤";
        for (int col = 0; col < columns; ++col) {
            const int cell = r * columns + col;
            const bool paint = color && canvas.owner[cell] >= 0;
            if (paint)
                out += kAnsiColors[canvas.owner[cell] % 5];
            out += braille(canvas.bits[cell]);
            if (paint)
                out += kAnsiReset;
        }
        out += "\n";
    }
    out += std::string(label_width + 1, ' ') + "└";
    for (int col = 0; col < columns; ++col)
        out += "─";
    out += "\n";
    const std::string right = format_tokens(x_max);
    out += std::string(label_width + 2, ' ') + "0" +
           pad_left(right, static_cast<size_t>(columns) - 1) + "\n";
    if (figure.curves.size() > 1) {
        out += std::string(label_width + 2, ' ');
        for (size_t c = 0; c < figure.curves.size(); ++c) {
            if (color)
                out += kAnsiColors[c % 5];
            out += "━━ " + figure.curves[c].label;
            if (color)
                out += kAnsiReset;
            out += "   ";
        }
        out += "\n";
    }
    for (const auto& line : figure.caption)
        out += std::string(label_width + 2, ' ') + line + "\n";
    return out;
}

}  // namespace ladder::plot
