// The LibTorch half of ladder, loaded from beside the executable only by the commands
// that need tensors, so that every other command starts without LibTorch.
#pragma once

#include <string>

namespace ladder::cli {

// Path of libladder_torch.so next to the running executable.
std::string torch_module_path();

// dlopens the module (once) and returns the named entry point; throws std::runtime_error
// naming the file when it is missing or lacks the symbol.
void* torch_module_symbol(const char* name);

}  // namespace ladder::cli
