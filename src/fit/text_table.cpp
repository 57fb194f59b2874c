#include "fit/text_table.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <unordered_map>

#include "util/error.hpp"
#include "util/input_file.hpp"

namespace ladder::fit {

// ---- Echoing the user's text in messages ----

namespace {

// Length of the well-formed UTF-8 sequence that starts at text[i] (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when none starts there.
size_t utf8_length(std::string_view text, size_t i) {
    const auto byte = [&text](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char first = byte(i);
    if (first < 0x80)
        return 1;
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
    if (first >= 0xC2 && first <= 0xDF) {
        length = 2;
    } else if (first >= 0xE0 && first <= 0xEF) {
        length = 3;
        low = first == 0xE0 ? 0xA0 : 0x80;
        high = first == 0xED ? 0x9F : 0xBF;
    } else if (first >= 0xF0 && first <= 0xF4) {
        length = 4;
        low = first == 0xF0 ? 0x90 : 0x80;
        high = first == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high)
        return 0;
    for (size_t k = 2; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
    }
    return length;
}

std::string hex_escape(unsigned char byte) {
    char escaped[5];
    std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
    return escaped;
}

// The next character of `text` at `i` as a message shows it, and the bytes it took.
std::pair<std::string, size_t> shown_character(std::string_view text, size_t i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n')
        return {"\\n", 1};
    if (byte == '\r')
        return {"\\r", 1};
    if (byte == '\t')
        return {"\\t", 1};
    if (byte < 0x20 || byte == 0x7F)
        return {hex_escape(byte), 1};
    const size_t length = utf8_length(text, i);
    if (length == 0)
        return {hex_escape(byte), 1};
    return {std::string(text.substr(i, length)), length};
}

// Characters (code points) of well-formed UTF-8 text.
size_t characters(std::string_view text) {
    return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

// `text` shown character by character.
std::vector<std::string> shown_characters(std::string_view text) {
    std::vector<std::string> shown;
    for (size_t i = 0; i < text.size();) {
        auto [character, length] = shown_character(text, i);
        shown.push_back(std::move(character));
        i += length;
    }
    return shown;
}

}  // namespace

std::string shown(std::string_view text, size_t limit) {
    std::string out;
    size_t count = 0, fits = 0;  // out's characters; its bytes while they leave room for "…"
    for (size_t i = 0; i < text.size();) {
        const auto [character, length] = shown_character(text, i);
        const size_t width = characters(character);
        if (count + width > limit)
            return out.substr(0, fits) + "…";
        out += character;
        count += width;
        if (count + 1 <= limit)
            fits = out.size();
        i += length;
    }
    return out;
}

std::string shown_path(std::string_view path) {
    constexpr size_t kLimit = 80;
    const std::vector<std::string> all = shown_characters(path);
    size_t count = 0, first = all.size();  // the last characters that fit after "…"
    while (first > 0 && count + characters(all[first - 1]) + 1 <= kLimit) {
        count += characters(all[first - 1]);
        --first;
    }
    std::string out = first == 0 ? "" : "…";
    for (size_t i = first; i < all.size(); ++i)
        out += all[i];
    return out;
}

// ---- The table ----

std::string_view TextTable::cell(size_t row, size_t column) const {
    uint64_t offset = row_text_[row];
    const uint64_t end = row + 1 < rows() ? row_cells_[row + 1] : cells_.size();
    for (uint64_t i = row_cells_[row]; i < end; ++i) {
        if (cells_[i].column == column)
            return std::string_view(text_).substr(offset, cells_[i].length);
        offset += cells_[i].length;
    }
    return {};
}

std::string TextTable::where(size_t row) const {
    return "'" + shown_path(file) + "' " + row_word + " " + std::to_string(row_number(row));
}

size_t TextTable::column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
        std::string columns;
        for (const std::string& column : header)
            columns += (columns.empty() ? "" : ", ") + shown(column, 60);
        throw UsageError("'" + shown_path(file) + "' has no column '" + shown(name, 60) +
                         "' (columns: " + shown(columns, 120) + ")");
    }
    return static_cast<size_t>(it - header.begin());
}

bool TextTable::has_column(const std::string& name) const {
    return std::find(header.begin(), header.end(), name) != header.end();
}

double TextTable::number(size_t row, size_t column) const {
    const std::string text(cell(row, column));
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE) {
        throw UsageError(where(row) + ", column '" + shown(header[column], 60) +
                         "': expected a number, got '" + shown(text) + "'");
    }
    return value;
}

void TextTable::start_row(int64_t number) {
    row_text_.push_back(text_.size());
    row_cells_.push_back(cells_.size());
    row_numbers_.push_back(number);
}

void TextTable::add_cell(size_t column, std::string_view text) {
    if (text.size() > std::numeric_limits<uint32_t>::max())
        throw UsageError(where(rows() - 1) + " has a cell of over 4 GiB");
    text_.append(text);
    cells_.push_back({static_cast<uint32_t>(column), static_cast<uint32_t>(text.size())});
}

// ---- CSV ----

namespace {

// Splits RFC 4180 text into records, calling on_record(fields, count) with the first
// `count` of `fields` (reused from record to record) for each. Blank lines are skipped.
template <class OnRecord>
void for_each_csv_record(std::string_view text, const std::string& file, OnRecord&& on_record) {
    std::vector<std::string> fields;
    size_t count = 0;
    bool in_record = false;  // a field of this record has started
    const auto field = [&]() -> std::string& {
        if (count == fields.size())
            fields.emplace_back();
        return fields[count];
    };
    const auto end_field = [&] {
        field();  // an empty field at the end of a record still counts
        ++count;
    };
    const auto end_record = [&] {
        if (in_record) {
            end_field();
            on_record(fields, count);
        }
        for (size_t i = 0; i < count; ++i)
            fields[i].clear();
        count = 0;
        in_record = false;
    };
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            // Up to the closing quote, a doubled quote standing for one.
            in_record = true;
            for (++i;;) {
                const size_t quote = text.find('"', i);
                if (quote == std::string_view::npos)
                    throw UsageError("'" + shown_path(file) + "': a quoted field is not closed");
                field().append(text.substr(i, quote - i));
                i = quote;
                if (quote + 1 >= text.size() || text[quote + 1] != '"')
                    break;
                field() += '"';
                i = quote + 2;
            }
        } else if (c == ',') {
            in_record = true;
            end_field();
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
            end_record();
        } else {
            // A run of plain characters at once.
            size_t run = i;
            while (run < text.size() && text[run] != ',' && text[run] != '"' && text[run] != '\n' &&
                   text[run] != '\r')
                ++run;
            field().append(text.substr(i, run - i));
            in_record = true;
            i = run - 1;
        }
    }
    end_record();
}

}  // namespace

TextTable parse_csv_table(std::string_view text, const std::string& file) {
    TextTable table;
    table.file = file;
    table.row_word = "row";
    table.reserve(text.size());
    int64_t record = 0;
    for_each_csv_record(text, file, [&](const std::vector<std::string>& fields, size_t count) {
        if (record++ == 0) {
            table.header.assign(fields.begin(), fields.begin() + static_cast<ptrdiff_t>(count));
            return;
        }
        if (count != table.header.size()) {
            throw UsageError("'" + shown_path(file) + "' row " + std::to_string(record - 1) +
                             " has " + std::to_string(count) + " fields, the header " +
                             std::to_string(table.header.size()));
        }
        table.start_row(record - 1);
        for (size_t i = 0; i < count; ++i)
            table.add_cell(i, fields[i]);
    });
    if (record == 0)
        throw UsageError("'" + shown_path(file) + "' is empty: expected a header line");
    return table;
}

// ---- JSON Lines ----

namespace {

using nlohmann::json;

// The text columns of `ladder metrics`' rows; every other value is a number or null.
bool is_text_column(const std::string& name) {
    return name == "name" || name == "size";
}

// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1, "
// (the line of the file is not 1): "column 9: syntax error while parsing value - ...".
std::string parse_reason(std::string what) {
    if (!what.empty() && what[0] == '[' && what.find("] ") != std::string::npos)
        what = what.substr(what.find("] ") + 2);
    const std::string line = "parse error at line 1, ";
    if (what.compare(0, line.size(), line) == 0)
        what = what.substr(line.size());
    return shown(what, 120);
}

// Reads one line's object into the table as SAX events, so no document is built and a
// value of the wrong type stops the line at once. Every handler returns false to refuse
// the line, with the reason in `refusal`.
class JsonlLine : public json::json_sax_t {
  public:
    JsonlLine(TextTable& table, std::unordered_map<std::string, size_t>& columns,
              std::vector<int64_t>& line_of_column, int64_t line)
        : table_(table), columns_(columns), line_of_column_(line_of_column), line_(line) {}

    std::string refusal;

    bool start_object(size_t) override {
        if (depth_++ == 0)
            return true;
        return refuse_value("an object");
    }
    bool end_object() override {
        --depth_;
        return true;
    }
    bool start_array(size_t) override { return refuse_value("an array"); }
    bool end_array() override { return true; }
    bool key(string_t& name) override {
        auto it = columns_.find(name);
        if (it == columns_.end()) {
            it = columns_.emplace(name, table_.header.size()).first;
            table_.header.push_back(name);
            line_of_column_.push_back(0);
        }
        if (line_of_column_[it->second] == line_)
            return refuse("\"" + shown(name, 60) + "\" appears twice");
        line_of_column_[it->second] = line_;
        column_ = it->second;
        return true;
    }
    bool null() override { return depth_ > 0 || refuse_value("null"); }  // an empty cell
    bool boolean(bool value) override { return refuse_value(value ? "true" : "false"); }
    bool number_integer(number_integer_t value) override { return number(std::to_string(value)); }
    bool number_unsigned(number_unsigned_t value) override { return number(std::to_string(value)); }
    bool number_float(number_float_t, const string_t& text) override { return number(text); }
    bool string(string_t& text) override {
        if (depth_ == 1 && is_text_column(table_.header[column_])) {
            table_.add_cell(column_, text);
            return true;
        }
        return refuse_value("the string \"" + shown(text) + "\"");
    }
    bool binary(binary_t&) override { return refuse_value("binary data"); }
    bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) override {
        return refuse(parse_reason(e.what()));
    }

  private:
    bool refuse(std::string reason) {
        refusal = std::move(reason);
        return false;
    }
    // A value where it does not belong: the whole line, or a key's value of the wrong type.
    bool refuse_value(const std::string& value) {
        if (depth_ == 0)
            return refuse("expected a JSON object, got " + value);
        const std::string& name = table_.header[column_];
        return refuse("\"" + shown(name, 60) + "\" is " + value + ", expected " +
                      (is_text_column(name) ? "a string" : "a number or null"));
    }
    bool number(const std::string& text) {
        if (depth_ == 0 || is_text_column(table_.header[column_]))
            return refuse_value("the number " + shown(text));
        table_.add_cell(column_, text);
        return true;
    }

    TextTable& table_;
    std::unordered_map<std::string, size_t>& columns_;
    std::vector<int64_t>& line_of_column_;  // the last line that set each column
    int64_t line_;
    int depth_ = 0;
    size_t column_ = 0;
};

bool is_blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// ---- The plain shape, read quickly ----
// `ladder metrics` writes every line as one flat object of ASCII keys and values without
// escapes. Such a line is split here at a few bytes a nanosecond, and its values go to
// JsonlLine as the SAX parser would pass them; any other line (escapes, other characters,
// anything malformed) is left to nlohmann's parser, which reads it or says what is wrong.

struct PlainValue {
    enum class Kind { string, number, null };
    std::string key;
    Kind kind = Kind::null;
    std::string text;
};

constexpr size_t kNone = std::string_view::npos;

size_t skip_space(std::string_view line, size_t i) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        ++i;
    return i;
}

// The end of a string of printable ASCII without escapes that starts at line[i], or kNone.
size_t plain_string_end(std::string_view line, size_t i) {
    if (i >= line.size() || line[i] != '"')
        return kNone;
    for (++i; i < line.size(); ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        if (c == '"')
            return i + 1;
        if (c == '\\' || c < 0x20 || c >= 0x7F)
            return kNone;
    }
    return kNone;
}

// The end of a JSON number (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) that
// starts at line[i] and stays finite as a double, or kNone.
size_t number_end(std::string_view line, size_t i) {
    const size_t start = i;
    const auto digits = [&line](size_t k) {
        const size_t first = k;
        while (k < line.size() && line[k] >= '0' && line[k] <= '9')
            ++k;
        return k == first ? kNone : k;
    };
    if (i < line.size() && line[i] == '-')
        ++i;
    if (i < line.size() && line[i] == '0')
        ++i;
    else if ((i = digits(i)) == kNone)
        return kNone;
    if (i < line.size() && line[i] == '.' && (i = digits(i + 1)) == kNone)
        return kNone;
    if (i < line.size() && (line[i] == 'e' || line[i] == 'E')) {
        ++i;
        if (i < line.size() && (line[i] == '+' || line[i] == '-'))
            ++i;
        if ((i = digits(i)) == kNone)
            return kNone;
    }
    // Only an exponent or over 308 digits can leave double range.
    const std::string_view number = line.substr(start, i - start);
    if (number.find_first_of("eE") == kNone && number.size() < 300)
        return i;
    return std::isfinite(std::strtod(std::string(number).c_str(), nullptr)) ? i : kNone;
}

// The value that starts at line[i] into `value`; its end, or kNone.
size_t plain_value_end(std::string_view line, size_t i, PlainValue& value) {
    size_t end = plain_string_end(line, i);
    if (end != kNone) {
        value.kind = PlainValue::Kind::string;
        value.text = line.substr(i + 1, end - i - 2);
    } else if (line.substr(i, 4) == "null") {
        value.kind = PlainValue::Kind::null;
        end = i + 4;
    } else if ((end = number_end(line, i)) != kNone) {
        value.kind = PlainValue::Kind::number;
        value.text = line.substr(i, end - i);
    }
    return end;
}

// Splits a line in the plain shape into `values`; false for any other line.
bool read_plain_line(std::string_view line, std::vector<PlainValue>& values) {
    size_t count = 0;
    size_t i = skip_space(line, 0);
    if (i == line.size() || line[i] != '{')
        return false;
    i = skip_space(line, i + 1);
    const bool empty = i < line.size() && line[i] == '}';
    while (!empty) {
        if (count == values.size())
            values.emplace_back();
        PlainValue& value = values[count++];
        const size_t key_end = plain_string_end(line, i);
        if (key_end == kNone)
            return false;
        value.key = line.substr(i + 1, key_end - i - 2);
        i = skip_space(line, key_end);
        if (i == line.size() || line[i] != ':')
            return false;
        const size_t end = plain_value_end(line, skip_space(line, i + 1), value);
        if (end == kNone)
            return false;
        i = skip_space(line, end);
        if (i == line.size() || line[i] != ',')
            break;
        i = skip_space(line, i + 1);
    }
    values.resize(count);
    return i < line.size() && line[i] == '}' && skip_space(line, i + 1) == line.size();
}

// A plain line's values to `reader`, as the SAX parser would pass them (the reader keeps a
// number's text, not its value).
bool replay(std::vector<PlainValue>& values, JsonlLine& reader) {
    reader.start_object(values.size());
    for (PlainValue& value : values) {
        bool accepted = reader.key(value.key);
        if (accepted && value.kind == PlainValue::Kind::string)
            accepted = reader.string(value.text);
        else if (accepted && value.kind == PlainValue::Kind::number)
            accepted = reader.number_float(0, value.text);
        else if (accepted)
            accepted = reader.null();
        if (!accepted)
            return false;
    }
    return reader.end_object();
}

bool parse_line(std::string_view line, JsonlLine& reader) {
    try {
        return json::sax_parse(line.begin(), line.end(), &reader);
    } catch (const json::exception& e) {  // none is expected from a SAX parse; in case
        reader.refusal = parse_reason(e.what());
        return false;
    }
}

}  // namespace

TextTable parse_jsonl_table(std::string_view text, const std::string& file) {
    TextTable table;
    table.file = file;
    table.row_word = "line";
    table.reserve(text.size() / 2);  // keys and punctuation are not kept
    std::unordered_map<std::string, size_t> columns;
    std::vector<int64_t> line_of_column;
    std::vector<PlainValue> plain;  // reused from line to line
    int64_t number = 0;
    for (size_t start = 0; start < text.size();) {
        const size_t newline = std::min(text.find('\n', start), text.size());
        const std::string_view line = text.substr(start, newline - start);
        start = newline + 1;
        ++number;
        if (is_blank(line))
            continue;
        table.start_row(number);
        JsonlLine reader(table, columns, line_of_column, number);
        const bool parsed =
            read_plain_line(line, plain) ? replay(plain, reader) : parse_line(line, reader);
        if (!parsed) {
            throw UsageError(table.where(table.rows() - 1) + ": " +
                             (reader.refusal.empty() ? "not a JSON object" : reader.refusal));
        }
    }
    if (table.rows() == 0)
        throw UsageError("'" + shown_path(file) + "' is empty: expected one JSON object a line");
    return table;
}

// ---- Files ----

TableFormat table_format_of(const std::string& path, std::string_view text) {
    const std::string extension = std::filesystem::path(path).extension().string();
    if (extension == ".jsonl")
        return TableFormat::jsonl;
    if (extension == ".csv")
        return TableFormat::csv;
    const size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && text[first] == '{' ? TableFormat::jsonl
                                                                 : TableFormat::csv;
}

TextTable read_table(const std::string& path) {
    // A million-row table is a few hundred MB; past this it is not a metrics table.
    const std::string text = read_input_file(path, "metrics table", uint64_t{16} << 30);
    std::string_view content(text);
    if (content.substr(0, 3) == "\xEF\xBB\xBF")  // a UTF-8 byte order mark
        content.remove_prefix(3);
    return table_format_of(path, content) == TableFormat::jsonl ? parse_jsonl_table(content, path)
                                                                : parse_csv_table(content, path);
}

}  // namespace ladder::fit
