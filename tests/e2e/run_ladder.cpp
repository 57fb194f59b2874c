#include "e2e/run_ladder.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/error.hpp"

namespace ladder::test {

std::string make_temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ladder-test-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp failed");
    return pattern;
}

void write_file(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

size_t count_of(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++n;
    return n;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
}

std::string usage_error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const UsageError& e) {
        return e.what();
    }
    return "(no error)";
}

void require_usage_error(const Result& r, const std::string& needle) {
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 2);
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    REQUIRE(r.err.find(needle) != std::string::npos);
    REQUIRE(r.out.empty());
}

void write_tokens(const std::string& path, int64_t count, uint16_t low, uint16_t high,
                  uint64_t seed) {
    std::ofstream out(path, std::ios::binary);
    uint64_t state = seed;
    for (int64_t i = 0; i < count; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const auto token = static_cast<uint16_t>(low + (state >> 33) % (high - low));
        out.write(reinterpret_cast<const char*>(&token), sizeof token);
    }
}

void write_documents(const std::string& path, int64_t documents, uint16_t low, uint16_t high,
                     uint16_t eos, uint64_t seed) {
    std::ofstream out(path, std::ios::binary);
    uint64_t state = seed;
    const auto next = [&](uint64_t bound) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (state >> 33) % bound;
    };
    for (int64_t d = 0; d < documents; ++d) {
        const uint64_t length = 1 + next(300);
        for (uint64_t i = 0; i < length; ++i) {
            const auto token =
                static_cast<uint16_t>(i + 1 == length ? eos : low + next(high - low));
            out.write(reinterpret_cast<const char*>(&token), sizeof token);
        }
    }
}

Result run_ladder(const std::string& args, const std::string& cwd, const std::string& env) {
    const std::string dir = make_temp_dir();
    const std::string out = dir + "/out", err = dir + "/err";
    const std::string command = "cd '" + cwd + "' && env LADDER_CONFIG= " + env + " '" +
                                LADDER_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'";
    const int status = std::system(command.c_str());
    Result result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_file(out);
    result.err = read_file(err);
    std::filesystem::remove_all(dir);
    return result;
}

}  // namespace ladder::test
