#include "util/input_file.hpp"

#include <sys/stat.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/error.hpp"

namespace ladder {

namespace {

std::string kind_of(mode_t mode) {
    if (S_ISDIR(mode))
        return "is a folder, expected a file";
    if (S_ISFIFO(mode))
        return "is a FIFO, not a regular file";
    if (S_ISSOCK(mode))
        return "is a socket, not a regular file";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "is a device, not a regular file";
    return "is not a regular file";
}

}  // namespace

void check_input_file(const std::string& path, const std::string& what) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        const int error = errno;
        throw UsageError(what + " '" + path + "': " +
                         (error == ENOENT || error == ENOTDIR ? std::string("no such file")
                                                              : std::strerror(error)));
    }
    if (!S_ISREG(info.st_mode))
        throw UsageError(what + " '" + path + "' " + kind_of(info.st_mode));
}

std::string read_input_file(const std::string& path, const std::string& what, uint64_t max_bytes) {
    check_input_file(path, what);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw UsageError(what + " '" + path + "': cannot open: " + std::strerror(errno));
    std::string text;
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && static_cast<uint64_t>(info.st_size) <= max_bytes)
        text.reserve(static_cast<size_t>(info.st_size));
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<size_t>(in.gcount()));
        if (text.size() > max_bytes) {
            throw UsageError(what + " '" + path + "': larger than " +
                             std::to_string(max_bytes >> 20) + " MiB; is it the right file?");
        }
    }
    if (in.bad())
        throw std::runtime_error(what + " '" + path + "': cannot read: " + std::strerror(errno));
    return text;
}

}  // namespace ladder
