#include "util/terminal.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace ladder {

bool stdout_is_terminal() {
    return isatty(STDOUT_FILENO) != 0;
}

bool stdout_supports_color() {
    const char* term = std::getenv("TERM");
    return stdout_is_terminal() && std::getenv("NO_COLOR") == nullptr &&
           !(term && std::string_view(term) == "dumb");
}

}  // namespace ladder
