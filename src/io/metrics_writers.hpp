// A MetricsTable as CSV (RFC 4180 quoting; numbers that read back exactly; an empty
// cell for a missing value), JSON Lines (one object per row, null when missing) or a
// Markdown table.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "io/metrics_table.hpp"

namespace ladder::io {

enum class TableFormat { csv, jsonl, markdown };

// By extension: .csv, .jsonl, .md; nullopt for any other.
std::optional<TableFormat> table_format_for(const std::string& path);

void write_csv(const MetricsTable& table, std::ostream& out);
void write_jsonl(const MetricsTable& table, std::ostream& out);
void write_markdown(const MetricsTable& table, std::ostream& out);
void write_table(const MetricsTable& table, TableFormat format, std::ostream& out);

// One CSV field, quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text);

}  // namespace ladder::io
