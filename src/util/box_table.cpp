#include "util/box_table.hpp"

#include <algorithm>

namespace ladder {

namespace {

std::string repeat(const std::string& piece, size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i)
        out += piece;
    return out;
}

std::string aligned(const std::string& text, size_t width, Align align) {
    const size_t gap = width - std::min(width, display_width(text));
    switch (align) {
        case Align::right:
            return std::string(gap, ' ') + text;
        case Align::center:
            return std::string(gap / 2, ' ') + text + std::string(gap - gap / 2, ' ');
        case Align::left:
            break;
    }
    return text + std::string(gap, ' ');
}

// One horizontal rule: left corner, fill, joint, right corner.
std::string rule(const std::vector<size_t>& widths, const char* left, const char* fill,
                 const char* joint, const char* right) {
    std::string line = left;
    for (size_t i = 0; i < widths.size(); ++i)
        line += repeat(fill, widths[i] + 2) + (i + 1 < widths.size() ? joint : right);
    return line + "\n";
}

std::string row_line(const std::vector<std::string>& cells, const std::vector<BoxColumn>& columns,
                     const std::vector<size_t>& widths, const char* bar) {
    std::string line = bar;
    for (size_t i = 0; i < columns.size(); ++i) {
        const std::string cell = i < cells.size() ? cells[i] : "";
        line += " " + aligned(cell, widths[i], columns[i].align) + " " + bar;
    }
    return line + "\n";
}

}  // namespace

size_t display_width(const std::string& text) {
    size_t width = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
            i += 2;
            while (i < text.size() && !(text[i] >= '@' && text[i] <= '~'))
                ++i;
            continue;
        }
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
            ++width;
    }
    return width;
}

std::string render_box_table(const std::string& title, const std::vector<BoxColumn>& columns,
                             const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    for (const auto& column : columns)
        widths.push_back(display_width(column.header));
    for (const auto& row : rows) {
        for (size_t i = 0; i < columns.size() && i < row.size(); ++i)
            widths[i] = std::max(widths[i], display_width(row[i]));
    }
    size_t total = 1;
    for (size_t width : widths)
        total += width + 3;
    std::string out;
    if (!title.empty()) {
        const size_t gap = total - std::min(total, display_width(title));
        out += std::string(gap / 2, ' ') + title + "\n";
    }
    std::vector<std::string> headers;
    for (const auto& column : columns)
        headers.push_back(column.header);
    out += rule(widths, "┏", "━", "┳", "┓");
    out += row_line(headers, columns, widths, "┃");
    out += rule(widths, "┡", "━", "╇", "┩");
    for (const auto& row : rows)
        out += row_line(row, columns, widths, "│");
    out += rule(widths, "└", "─", "┴", "┘");
    return out;
}

}  // namespace ladder
