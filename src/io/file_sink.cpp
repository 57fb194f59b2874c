#include "io/file_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "util/crc32c.hpp"

namespace ladder::io {

FileSink::FileSink(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0)
        error_ = errno;
}

FileSink::~FileSink() {
    if (fd_ >= 0)
        ::close(fd_);
}

size_t FileSink::write(const void* data, size_t size) {
    crc_ = crc32c_extend(crc_, data, size);
    size_ += size;
    const char* bytes = static_cast<const char*>(data);
    for (size_t done = 0; error_ == 0 && done < size;) {
        const ssize_t n = ::write(fd_, bytes + done, size - done);
        if (n < 0 && errno != EINTR)
            error_ = errno;
        else if (n > 0)
            done += static_cast<size_t>(n);
    }
    return size;
}

FileChecksum FileSink::finish(const std::string& relative) {
    if (fd_ >= 0 && ::close(fd_) != 0 && error_ == 0)
        error_ = errno;
    fd_ = -1;
    if (error_ != 0)
        throw std::runtime_error("cannot write '" + path_ + "': " + std::strerror(error_));
    return {relative, size_, crc_};
}

}  // namespace ladder::io
