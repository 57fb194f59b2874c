// Reading a file the user named: what is not a regular file (a folder, a FIFO that would
// block the read forever, a device) is refused before it is opened, in one line that says
// what the path is.
#pragma once

#include <cstdint>
#include <string>

namespace ladder {

// Throws UsageError "<what> '<path>': no such file" / "is a folder, expected a file" /
// "is a FIFO, not a regular file" / ... unless `path` is a regular file (or a link to one).
void check_input_file(const std::string& path, const std::string& what);

// The whole file as text, after check_input_file; a file larger than `max_bytes` is a
// UsageError (a config file, not data, was expected); a failing read is a
// std::runtime_error (exit 1: the environment failed, not the user).
std::string read_input_file(const std::string& path, const std::string& what, uint64_t max_bytes);

}  // namespace ladder
