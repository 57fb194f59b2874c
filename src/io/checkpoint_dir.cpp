#include "io/checkpoint_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <vector>

#include "util/crc32c.hpp"
#include "util/error.hpp"

namespace ladder::io {

namespace fs = std::filesystem;

namespace {

// Flushes a file or directory to disk, so a rename after it never exposes lost data.
void sync_path(const fs::path& path) {
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0)
        return;
    fsync(fd);
    close(fd);
}

}  // namespace

std::string checkpoint_dir(const std::string& save_folder, int64_t step) {
    return (fs::path(save_folder) / ("step" + std::to_string(step))).string();
}

std::string temporary_checkpoint_dir(const std::string& save_folder, int64_t step) {
    return checkpoint_dir(save_folder, step) + "-tmp";
}

std::optional<std::string> missing_part(const std::string& dir) {
    const fs::path d(dir);
    std::error_code ec;
    if (!fs::is_directory(d, ec))
        return std::string("a file, not a folder");
    for (const char* part : {"model_and_optim", "train"}) {
        if (fs::exists(d / part, ec) && !fs::is_directory(d / part, ec))
            return "'" + std::string(part) + "' is a file, not a folder";
    }
    // Unsharded tensors, or a sharded run's layout (its shard files are in the marker).
    const bool sharded = fs::exists(d / "model_and_optim/shards.json", ec);
    const std::vector<const char*> files =
        sharded ? std::vector<const char*>{"model_and_optim/shards.json", "train/rank0.json"}
                : std::vector<const char*>{"model_and_optim/model.pt", "model_and_optim/optim.pt",
                                           "train/rank0.json"};
    for (const char* file : files) {
        if (!fs::is_regular_file(d / file, ec))
            return "no '" + std::string(file) + "'";
    }
    if (!fs::is_regular_file(d / ".metadata.json", ec))
        return std::string("no '.metadata.json' marker (its save did not finish)");
    return std::nullopt;
}

bool is_complete_checkpoint(const std::string& dir) {
    return !missing_part(dir);
}

std::optional<int64_t> checkpoint_step(const std::string& dir) {
    // At most 18 digits: every such number fits an int64_t.
    static const std::regex pattern("^step(\\d{1,18})$");
    std::smatch match;
    const std::string name = fs::path(dir).filename().string();
    if (!std::regex_match(name, match, pattern))
        return std::nullopt;
    return std::stoll(match[1]);
}

std::vector<int64_t> find_checkpoints(const std::string& save_folder,
                                      std::vector<std::string>* incomplete) {
    std::vector<int64_t> steps;
    std::error_code ec;
    if (!fs::is_directory(save_folder, ec))
        return steps;
    for (const auto& entry : fs::directory_iterator(save_folder, ec)) {
        const std::optional<int64_t> step = checkpoint_step(entry.path().string());
        if (!step)
            continue;
        if (const auto missing = missing_part(entry.path().string()); !missing)
            steps.push_back(*step);
        else if (incomplete)
            incomplete->push_back(entry.path().string() + ": " + *missing);
    }
    std::sort(steps.begin(), steps.end());
    if (incomplete)
        std::sort(incomplete->begin(), incomplete->end());
    return steps;
}

bool is_ephemeral_checkpoint(const std::string& dir) {
    std::ifstream in(fs::path(dir) / ".metadata.json");
    const nlohmann::json marker = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    return marker.is_object() && marker.value("ephemeral", false);
}

int remove_temporaries(const std::string& save_folder) {
    int removed = 0;
    std::error_code ec;
    if (!fs::is_directory(save_folder, ec))
        return 0;
    static const std::regex pattern("^step\\d+-tmp$");
    for (const auto& entry : fs::directory_iterator(save_folder, ec)) {
        if (std::regex_match(entry.path().filename().string(), pattern)) {
            fs::remove_all(entry.path(), ec);
            ++removed;
        }
    }
    return removed;
}

void remove_checkpoint(const std::string& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec))
        return;
    fs::remove(fs::path(dir) / ".metadata.json", ec);
    sync_path(dir);
    fs::remove_all(dir, ec);
}

std::optional<std::string> verify_checkpoint(const std::string& dir) {
    const fs::path marker_path = fs::path(dir) / ".metadata.json";
    std::ifstream marker_file(marker_path);
    const nlohmann::json marker =
        nlohmann::json::parse(marker_file, nullptr, /*allow_exceptions=*/false);
    if (!marker.is_object())
        return "'" + marker_path.string() + "' is damaged: not a JSON object";
    const auto files = marker.find("files");
    if (files == marker.end())
        return std::nullopt;
    if (!files->is_object())
        return "'" + marker_path.string() + "' is damaged: \"files\" is not an object";
    std::vector<char> buffer(size_t{1} << 20);
    for (const auto& [name, recorded] : files->items()) {
        const fs::path path = fs::path(dir) / name;
        if (!recorded.is_object() || !recorded.contains("size") || !recorded.contains("crc32c") ||
            !recorded["size"].is_number_unsigned() || !recorded["crc32c"].is_number_unsigned())
            return "'" + marker_path.string() + "' is damaged: bad entry for " + name;
        std::error_code ec;
        if (!fs::is_regular_file(path, ec))
            return "'" + path.string() + "' is damaged: missing or not a file";
        std::ifstream in(path, std::ios::binary);
        uint64_t size = 0;
        uint32_t crc = 0;
        while (in) {
            in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            const auto got = static_cast<size_t>(in.gcount());
            crc = crc32c_extend(crc, buffer.data(), got);
            size += got;
        }
        if (size != recorded["size"].get<uint64_t>()) {
            return "'" + path.string() + "' is damaged: " + std::to_string(size) +
                   " bytes, written with " + std::to_string(recorded["size"].get<uint64_t>());
        }
        if (crc != recorded["crc32c"].get<uint32_t>())
            return "'" + path.string() +
                   "' is damaged: its bytes changed since it was written "
                   "(CRC-32C mismatch)";
    }
    return std::nullopt;
}

namespace {

// Whether the complete checkpoint in `dir` holds exactly `files` (the same names, sizes and
// CRC-32Cs in its marker) and its bytes still match that marker.
bool holds_same_files(const std::string& dir, const std::vector<FileChecksum>& files) {
    std::ifstream in(fs::path(dir) / ".metadata.json");
    const nlohmann::json marker = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!marker.is_object() || !marker.contains("files") || !marker["files"].is_object() ||
        marker["files"].size() != files.size())
        return false;
    for (const FileChecksum& file : files) {
        const nlohmann::json expected = {{"size", file.size}, {"crc32c", file.crc32c}};
        if (marker["files"].value(file.file, nlohmann::json()) != expected)
            return false;
    }
    return !verify_checkpoint(dir);
}

}  // namespace

CommitResult commit_checkpoint(const std::string& temporary, const std::string& final_dir,
                               const std::string& version, bool ephemeral,
                               const std::vector<FileChecksum>& files) {
    if (is_complete_checkpoint(final_dir)) {
        if (!holds_same_files(final_dir, files)) {
            throw UsageError("'" + final_dir +
                             "' already holds a complete checkpoint with other contents; it is "
                             "never overwritten (remove it to save this step again)");
        }
        std::error_code ec;
        fs::remove_all(temporary, ec);
        return CommitResult::kept_identical;
    }
    const fs::path marker = fs::path(temporary) / ".metadata.json";
    nlohmann::json contents = {{"ephemeral", ephemeral}, {"version", version}};
    for (const FileChecksum& file : files)
        contents["files"][file.file] = {{"size", file.size}, {"crc32c", file.crc32c}};
    {
        std::ofstream out(marker);
        out << contents.dump(2) << "\n";
        if (!out)
            throw std::runtime_error("cannot write '" + marker.string() + "'");
    }
    for (const auto& entry : fs::recursive_directory_iterator(temporary))
        sync_path(entry.path());
    sync_path(temporary);
    remove_checkpoint(final_dir);  // an incomplete folder a crash left
    fs::rename(temporary, final_dir);
    sync_path(fs::path(final_dir).parent_path());
    return CommitResult::saved;
}

}  // namespace ladder::io
