// Lines of a text file, gzip-compressed or not (zlib passes other files through as they are),
// read in chunks; and JSON lines parsed with errors that name the file and line.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

struct gzFile_s;

namespace ladder::io {

class TextLines {
  public:
    // Throws UsageError naming the file when it cannot be opened.
    explicit TextLines(const std::string& path);
    ~TextLines();
    TextLines(const TextLines&) = delete;
    TextLines& operator=(const TextLines&) = delete;

    // The next line without its "\n" (or "\r\n"); false at the end of the file. A read error
    // (a truncated gzip stream included) is a UsageError naming the file.
    bool next_line(std::string& line);
    // Everything from the current position to the end.
    std::string rest();

  private:
    bool fill();

    std::string path_;
    gzFile_s* file_ = nullptr;
    std::string pending_;
    size_t offset_ = 0;
};

// `line` parsed as JSON; a UsageError "<where>: not valid JSON (...)" when it is not.
nlohmann::json parse_json_line(const std::string& line, const std::string& where);

}  // namespace ladder::io
