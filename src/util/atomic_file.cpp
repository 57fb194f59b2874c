#include "util/atomic_file.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "util/error.hpp"

namespace ladder {

void write_atomically(const std::string& path,
                      const std::function<void(const std::string& temporary)>& write) {
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

}  // namespace ladder
