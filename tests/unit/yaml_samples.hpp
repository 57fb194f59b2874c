// YAML texts that attack a reader, shared by the reader's, the config's and the CLI's tests.
#pragma once

#include <string>

namespace ladder::test {

// Ten levels of ten aliases each: 10^10 values from a few hundred bytes.
inline std::string alias_bomb() {
    std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int level = 1; level < 10; ++level) {
        bomb += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
        for (int k = 0; k < 10; ++k)
            bomb += std::string(k ? ", " : "") + "*a" + std::to_string(level - 1);
        bomb += "]\n";
    }
    return bomb;
}

}  // namespace ladder::test
