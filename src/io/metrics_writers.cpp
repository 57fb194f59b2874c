#include "io/metrics_writers.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <variant>

#include "util/box_table.hpp"
#include "util/format.hpp"

namespace ladder::io {

namespace {

// One cell of a row: missing, text, a count or a metric value.
using Cell = std::variant<std::monostate, std::string, int64_t, double>;

std::vector<Cell> cells(const MetricsRow& row, const std::vector<std::string>& metric_columns) {
    std::vector<Cell> cells = {row.name, row.step, row.tokens, row.size, row.num_params};
    for (const auto& column : metric_columns) {
        const auto it = row.metrics.find(column);
        if (it == row.metrics.end() || !it->second)
            cells.emplace_back(std::monostate{});
        else
            cells.emplace_back(*it->second);
    }
    return cells;
}

// Whole numbers as integers ("12780", not "1.278e+04"), others as the shortest text that
// reads back exactly.
std::string number_text(double value) {
    const bool negative_zero = value == 0 && std::signbit(value);
    if (std::nearbyint(value) == value && std::fabs(value) < 1e15 && !negative_zero)
        return std::to_string(static_cast<int64_t>(value));
    return shortest_number(value);
}

std::string cell_text(const Cell& cell) {
    if (const auto* text = std::get_if<std::string>(&cell))
        return *text;
    if (const auto* count = std::get_if<int64_t>(&cell))
        return std::to_string(*count);
    if (const auto* value = std::get_if<double>(&cell))
        return number_text(*value);
    return "";
}

std::string markdown_text(const std::string& text) {
    std::string escaped;
    for (char c : text) {
        if (c == '|')
            escaped += "\\|";
        else if (c == '\n' || c == '\r')
            escaped += ' ';
        else
            escaped += c;
    }
    return escaped;
}

}  // namespace

std::optional<TableFormat> table_format_for(const std::string& path) {
    const std::string extension = std::filesystem::path(path).extension().string();
    if (extension == ".csv")
        return TableFormat::csv;
    if (extension == ".jsonl")
        return TableFormat::jsonl;
    if (extension == ".md")
        return TableFormat::markdown;
    return std::nullopt;
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

void write_csv(const MetricsTable& table, std::ostream& out) {
    const auto columns = table.columns();
    for (size_t i = 0; i < columns.size(); ++i)
        out << (i ? "," : "") << csv_field(columns[i]);
    out << "\n";
    const auto metric_columns = table.metric_columns();
    for (const auto& row : table.rows()) {
        const auto row_cells = cells(row, metric_columns);
        for (size_t i = 0; i < row_cells.size(); ++i)
            out << (i ? "," : "") << csv_field(cell_text(row_cells[i]));
        out << "\n";
    }
}

void write_jsonl(const MetricsTable& table, std::ostream& out) {
    const auto columns = table.columns();
    const auto metric_columns = table.metric_columns();
    for (const auto& row : table.rows()) {
        const auto row_cells = cells(row, metric_columns);
        nlohmann::ordered_json object = nlohmann::ordered_json::object();
        for (size_t i = 0; i < columns.size(); ++i) {
            std::visit(
                [&](const auto& value) {
                    using T = std::decay_t<decltype(value)>;
                    if constexpr (std::is_same_v<T, std::monostate>)
                        object[columns[i]] = nullptr;
                    else
                        object[columns[i]] = value;
                },
                row_cells[i]);
        }
        out << object.dump() << "\n";
    }
}

void write_markdown(const MetricsTable& table, std::ostream& out) {
    const auto columns = table.columns();
    const auto metric_columns = table.metric_columns();
    std::vector<std::vector<std::string>> text_rows;
    std::vector<size_t> widths;
    std::vector<bool> numeric(columns.size(), true);
    numeric[0] = numeric[3] = false;  // name, size
    for (const auto& column : columns)
        widths.push_back(std::max<size_t>(3, display_width(markdown_text(column))));
    for (const auto& row : table.rows()) {
        std::vector<std::string> texts;
        for (const auto& cell : cells(row, metric_columns)) {
            texts.push_back(markdown_text(cell_text(cell)));
            widths[texts.size() - 1] =
                std::max(widths[texts.size() - 1], display_width(texts.back()));
        }
        text_rows.push_back(std::move(texts));
    }
    const auto print_row = [&](const std::vector<std::string>& texts, bool header) {
        out << "|";
        for (size_t i = 0; i < texts.size(); ++i) {
            const std::string pad(widths[i] - display_width(texts[i]), ' ');
            out << " " << (numeric[i] && !header ? pad + texts[i] : texts[i] + pad) << " |";
        }
        out << "\n";
    };
    std::vector<std::string> header;
    for (const auto& column : columns)
        header.push_back(markdown_text(column));
    print_row(header, true);
    out << "|";
    for (size_t i = 0; i < columns.size(); ++i) {
        out << " "
            << (numeric[i] ? std::string(widths[i] - 1, '-') + ":" : std::string(widths[i], '-'))
            << " |";
    }
    out << "\n";
    for (const auto& texts : text_rows)
        print_row(texts, false);
}

void write_table(const MetricsTable& table, TableFormat format, std::ostream& out) {
    switch (format) {
        case TableFormat::csv:
            write_csv(table, out);
            break;
        case TableFormat::jsonl:
            write_jsonl(table, out);
            break;
        case TableFormat::markdown:
            write_markdown(table, out);
            break;
    }
}

}  // namespace ladder::io
