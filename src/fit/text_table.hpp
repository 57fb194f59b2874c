// A metrics table in the shape `ladder metrics` writes it, read as a header and rows of
// text from either of its formats:
//   CSV (RFC 4180: quoted fields, doubled quotes, commas and newlines inside quotes);
//   JSON Lines (one flat object per line; `name` and `size` strings, every other value a
//   number or null; the columns are the keys in the order they first appear).
// A JSON number keeps the text it was written with, and null or a missing key reads as an
// empty cell, so both formats mean the same to the fit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ladder::fit {

class TextTable {
  public:
    std::string file;
    // What messages count rows in: "row" (CSV records after the header) or "line" (JSONL).
    std::string row_word = "row";
    std::vector<std::string> header;

    size_t rows() const { return row_numbers_.size(); }
    // The cell's text; "" where the row has none.
    std::string_view cell(size_t row, size_t column) const;
    // The row's number in messages: its CSV record, or its line in a JSONL file.
    int64_t row_number(size_t row) const { return row_numbers_[row]; }
    // "'metrics.csv' row 7" / "'metrics.jsonl' line 9", for messages.
    std::string where(size_t row) const;

    // Index of a column; throws UsageError naming the file and the columns it has.
    size_t column(const std::string& name) const;
    bool has_column(const std::string& name) const;
    // The cell as a number; throws UsageError naming file, row and column.
    double number(size_t row, size_t column) const;

    // Building: a row, then its cells (in any column order; at most one each).
    void reserve(size_t text_bytes) { text_.reserve(text_bytes); }
    void start_row(int64_t number);
    void add_cell(size_t column, std::string_view text);

  private:
    struct Cell {
        uint32_t column = 0;
        uint32_t length = 0;
    };
    std::string text_;                  // every cell's text, one after another
    std::vector<Cell> cells_;           // every row's cells, one row after another
    std::vector<uint64_t> row_text_;    // where each row's text starts in text_
    std::vector<uint64_t> row_cells_;   // where each row's cells start in cells_
    std::vector<int64_t> row_numbers_;  // see row_number
};

enum class TableFormat { csv, jsonl };

// By extension (.csv, .jsonl), else by content: a first non-blank character '{' is JSONL.
TableFormat table_format_of(const std::string& path, std::string_view text);

// Parse `text`, named `file` in messages. Throws UsageError (one line naming the file and
// the row or line) for an unclosed quote, a row whose field count differs from the
// header's, and in JSONL for a line that is not one JSON object, is not UTF-8, or holds a
// value of the wrong type (a number as a string, a list, true).
TextTable parse_csv_table(std::string_view text, const std::string& file);
TextTable parse_jsonl_table(std::string_view text, const std::string& file);

// The table at `path`, by table_format_of. What is not a regular file (a folder, a FIFO
// that would block the read forever, a device) is refused before it is opened.
TextTable read_table(const std::string& path);

// Text from the user's files and flags as a message shows it: control characters and bytes
// that are not UTF-8 escaped (\n, \xff), and text longer than `limit` characters cut with
// "…", so that every error stays one short line.
std::string shown(std::string_view text, size_t limit = 40);
// A path, cut at its start when long: the file name is what tells it apart.
std::string shown_path(std::string_view path);

}  // namespace ladder::fit
