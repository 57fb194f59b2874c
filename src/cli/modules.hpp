// Parts of ladder built as modules beside the executable and loaded only by the commands
// that need them: libladder_torch.so (LibTorch: train, benchmark, env) and
// libladder_tokenize.so (SentencePiece: tokenize). Planning commands load neither, and no
// process loads both (their protobuf copies would clash).
#pragma once

#include <string>

namespace ladder::cli {

// Path of a module file next to the running executable.
std::string module_path(const std::string& file);

// dlopens the module (once) and returns the named entry point; throws std::runtime_error
// naming the file when it is missing or lacks the symbol.
void* module_symbol(const std::string& file, const char* name);

}  // namespace ladder::cli
