#include "cli/torch_module.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <stdexcept>

namespace ladder::cli {

std::string torch_module_path() {
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::filesystem::path dir = ec ? std::filesystem::current_path() : exe.parent_path();
    return (dir / "libladder_torch.so").string();
}

void* torch_module_symbol(const char* name) {
    static void* handle = nullptr;
    const std::string path = torch_module_path();
    if (!handle) {
        handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            throw std::runtime_error("cannot load the training module '" + path +
                                     "': " + dlerror() + " (build the ladder_torch target)");
        }
    }
    void* symbol = dlsym(handle, name);
    if (!symbol) {
        throw std::runtime_error("training module '" + path + "' has no entry point '" + name +
                                 "'; rebuild it together with the ladder executable");
    }
    return symbol;
}

}  // namespace ladder::cli
