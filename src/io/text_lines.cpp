#include "io/text_lines.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace ladder::io {

TextLines::TextLines(const std::string& path) : path_(path) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (!file_)
        throw UsageError("cannot open '" + path +
                         "': " + (errno ? std::strerror(errno) : "out of memory"));
    gzbuffer(file_, 1 << 18);
}

TextLines::~TextLines() {
    gzclose(file_);
}

bool TextLines::next_line(std::string& line) {
    line.clear();
    while (true) {
        const size_t newline = pending_.find('\n', offset_);
        if (newline != std::string::npos) {
            line.append(pending_, offset_, newline - offset_);
            offset_ = newline + 1;
            break;
        }
        line.append(pending_, offset_, std::string::npos);
        offset_ = 0;
        if (!fill()) {
            if (line.empty())
                return false;
            break;
        }
    }
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return true;
}

std::string TextLines::rest() {
    std::string text = pending_.substr(offset_);
    offset_ = 0;
    while (fill())
        text += pending_;
    pending_.clear();
    return text;
}

// Replaces `pending_` with the next chunk; false at the end of the file.
bool TextLines::fill() {
    pending_.resize(1 << 18);
    const int n = gzread(file_, pending_.data(), static_cast<unsigned>(pending_.size()));
    // A gzip stream cut short can read as a normal end; zlib flags it only in gzerror.
    int code = Z_OK;
    const std::string message = gzerror(file_, &code);
    if (n < 0 || code != Z_OK) {
        // zlib's message starts with the path; the error names it once already.
        std::string detail = code == Z_ERRNO ? std::strerror(errno) : message;
        if (detail.rfind(path_ + ": ", 0) == 0)
            detail = detail.substr(path_.size() + 2);
        throw UsageError("cannot read '" + path_ + "': " + detail);
    }
    pending_.resize(static_cast<size_t>(n));
    return n > 0;
}

nlohmann::json parse_json_line(const std::string& line, const std::string& where) {
    try {
        return nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
        // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep its detail.
        std::string detail = e.what();
        const size_t tag_end = detail.find("] ");
        if (tag_end != std::string::npos)
            detail = detail.substr(tag_end + 2);
        // The input is one line, so nlohmann's "line 1" would only contradict `where`.
        const size_t line_one = detail.find("at line 1, ");
        if (line_one != std::string::npos)
            detail.erase(line_one + 3, 8);
        throw UsageError(where + ": not valid JSON (" + detail + ")");
    }
}

}  // namespace ladder::io
