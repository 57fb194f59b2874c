#include "cli/modules.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <map>
#include <stdexcept>

namespace ladder::cli {

std::string module_path(const std::string& file) {
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::filesystem::path dir = ec ? std::filesystem::current_path() : exe.parent_path();
    return (dir / file).string();
}

void* module_symbol(const std::string& file, const char* name) {
    static std::map<std::string, void*> handles;
    const std::string path = module_path(file);
    void*& handle = handles[path];
    if (!handle) {
        handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            throw std::runtime_error("cannot load module '" + path + "': " + dlerror() +
                                     " (rebuild ladder: scripts/build.sh)");
        }
    }
    void* symbol = dlsym(handle, name);
    if (!symbol) {
        throw std::runtime_error("module '" + path + "' has no entry point '" + name +
                                 "'; rebuild it together with the ladder executable");
    }
    return symbol;
}

}  // namespace ladder::cli
