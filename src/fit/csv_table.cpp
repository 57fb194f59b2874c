#include "fit/csv_table.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/error.hpp"
#include "util/format.hpp"

namespace ladder::fit {

size_t CsvTable::column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
        throw UsageError("'" + file + "' has no column '" + name +
                         "' (columns: " + join(header, ", ") + ")");
    }
    return static_cast<size_t>(it - header.begin());
}

bool CsvTable::has_column(const std::string& name) const {
    return std::find(header.begin(), header.end(), name) != header.end();
}

double CsvTable::number(size_t row, size_t col) const {
    const std::string& text = rows[row][col];
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE) {
        throw UsageError("'" + file + "' row " + std::to_string(row + 1) + ", column '" +
                         header[col] + "': expected a number, got '" + text + "'");
    }
    return value;
}

CsvTable read_csv(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw UsageError("cannot read '" + path + "'");
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();

    std::vector<std::vector<std::string>> records;
    std::vector<std::string> record;
    std::string field;
    bool quoted = false, field_started = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
            field_started = true;
        } else if (c == ',') {
            record.push_back(field);
            field.clear();
            field_started = true;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
            if (field_started || !field.empty() || !record.empty()) {
                record.push_back(field);
                records.push_back(record);
            }
            record.clear();
            field.clear();
            field_started = false;
        } else {
            field += c;
            field_started = true;
        }
    }
    if (quoted)
        throw UsageError("'" + path + "': a quoted field is not closed");
    if (field_started || !field.empty() || !record.empty()) {
        record.push_back(field);
        records.push_back(record);
    }
    if (records.empty())
        throw UsageError("'" + path + "' is empty: expected a header line");

    CsvTable table;
    table.file = path;
    table.header = records.front();
    for (size_t r = 1; r < records.size(); ++r) {
        if (records[r].size() != table.header.size()) {
            throw UsageError("'" + path + "' row " + std::to_string(r) + " has " +
                             std::to_string(records[r].size()) + " fields, the header " +
                             std::to_string(table.header.size()));
        }
        table.rows.push_back(records[r]);
    }
    return table;
}

}  // namespace ladder::fit
