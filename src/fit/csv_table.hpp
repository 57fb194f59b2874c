// A CSV file (RFC 4180: quoted fields, doubled quotes, commas and newlines inside quotes)
// read as a header and rows of text, as `ladder metrics` writes it.
#pragma once

#include <string>
#include <vector>

namespace ladder::fit {

struct CsvTable {
    std::string file;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;  // each as long as the header

    // Index of a column; throws UsageError naming the file and the columns it has.
    size_t column(const std::string& name) const;
    bool has_column(const std::string& name) const;
    // The cell as a number; throws UsageError naming file, line and column.
    double number(size_t row, size_t column) const;
};

// Throws UsageError naming the file for an unreadable file, an unclosed quote or a row
// whose field count differs from the header's.
CsvTable read_csv(const std::string& path);

}  // namespace ladder::fit
