// A table drawn with box characters, laid out like rich's default Table (heavy head,
// title centered above). Cells may hold ANSI color codes; they take no width.
#pragma once

#include <string>
#include <vector>

namespace ladder {

enum class Align { left, right, center };

struct BoxColumn {
    std::string header;
    Align align = Align::left;
};

// Characters shown: UTF-8 sequences count once, ANSI escape sequences not at all.
size_t display_width(const std::string& text);

std::string render_box_table(const std::string& title, const std::vector<BoxColumn>& columns,
                             const std::vector<std::vector<std::string>>& rows);

}  // namespace ladder
