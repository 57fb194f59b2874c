#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "io/checkpoint_dir.hpp"

namespace ladder::io {

// A file written with POSIX calls that keeps the first error (disk full, quota, file size
// limit, I/O error) to report it by name, and sums its bytes for the marker as they pass.
// It always tells LibTorch's archive writer that its bytes were written: a failure reported
// to it ends in an exception thrown from its destructor, which terminates the process.
class FileSink {
  public:
    explicit FileSink(std::string path);
    ~FileSink();
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;

    size_t write(const void* data, size_t size);
    // Closes the file and returns its checksum under the name `relative`; throws
    // std::runtime_error naming the file and the OS error if any write (or the close) failed.
    FileChecksum finish(const std::string& relative);

  private:
    std::string path_;
    int fd_ = -1;
    int error_ = 0;
    uint64_t size_ = 0;
    uint32_t crc_ = 0;
};

}  // namespace ladder::io
