// Runs the real `ladder` executable for end-to-end tests.
#pragma once

#include <string>

namespace ladder::test {

struct Result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs `ladder ARGS` through the shell in `cwd` (default: a fresh temporary directory's
// parent is not assumed; pass one explicitly when files are written).
Result run_ladder(const std::string& args, const std::string& cwd = ".",
                  const std::string& env = "");

// A new empty directory under the system temp dir.
std::string make_temp_dir();

void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

}  // namespace ladder::test
