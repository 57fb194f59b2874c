// Runs the real `ladder` executable for end-to-end tests.
#pragma once

#include <cstdint>
#include <functional>
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

// A temporary directory removed, with everything in it, at the end of the scope.
struct TempDir {
    std::string path = make_temp_dir();
    TempDir() = default;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

// `count` uint16 token ids in [low, high) from a fixed LCG, as a raw OLMo token file.
void write_tokens(const std::string& path, int64_t count, uint16_t low, uint16_t high,
                  uint64_t seed = 12345);

// `documents` documents of 1 to 300 uint16 tokens, ids in [low, high) from a fixed LCG, each
// ending with `eos`: validation data for evaluation per document, as a raw OLMo token file.
void write_documents(const std::string& path, int64_t documents, uint16_t low, uint16_t high,
                     uint16_t eos, uint64_t seed = 12345);

// The message of the UsageError `f` throws, or "(no error)".
std::string usage_error_of(const std::function<void()>& f);

// A usage error: exit 2, exactly one line on stderr containing `needle`, nothing on stdout.
void require_usage_error(const Result& r, const std::string& needle);

void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

// How many times `needle` occurs in `text` (overlaps counted).
size_t count_of(const std::string& text, const std::string& needle);

}  // namespace ladder::test
