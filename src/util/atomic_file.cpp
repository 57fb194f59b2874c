#include "util/atomic_file.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "util/error.hpp"

namespace ladder {

void check_output_path(const std::string& path, const std::string& what) {
    namespace fs = std::filesystem;
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    if (fs::is_directory(status))
        throw UsageError(what + "'" + path + "' is a folder, expected a file to write");
    if (fs::exists(status) && !fs::is_regular_file(status))
        throw UsageError(what + "'" + path + "' is not a regular file, expected a file to write");
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, error))
        throw UsageError(what + "'" + path + "': no folder '" + parent.string() + "'");
}

void write_atomically(const std::string& path,
                      const std::function<void(const std::string& temporary)>& write) {
    check_output_path(path, "output ");
    const std::filesystem::path target(path);
    const std::string temporary =
        path + ".tmp" + std::to_string(getpid()) + target.extension().string();
    try {
        write(temporary);
        std::filesystem::rename(temporary, path);
    } catch (...) {
        std::remove(temporary.c_str());
        throw;
    }
}

void write_text_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
    write_atomically(path, [&](const std::string& temporary) {
        std::ofstream out(temporary);
        if (!out)
            throw UsageError("cannot write '" + path + "'");
        write(out);
        out.close();
        if (!out)
            throw std::runtime_error("cannot write '" + path + "'");
    });
}

void create_output_folder(const std::string& folder, const std::string& what) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (!error)
        return;
    const std::string message =
        what + ": cannot create folder '" + folder + "': " + error.message();
    static const std::error_code user_mistakes[] = {
        std::make_error_code(std::errc::not_a_directory),
        std::make_error_code(std::errc::file_exists),
        std::make_error_code(std::errc::permission_denied),
        std::make_error_code(std::errc::read_only_file_system),
        std::make_error_code(std::errc::filename_too_long),
    };
    for (const auto& mistake : user_mistakes) {
        if (error == mistake)
            throw UsageError(message);
    }
    throw std::runtime_error(message);
}

}  // namespace ladder
