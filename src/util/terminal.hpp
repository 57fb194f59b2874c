// What the terminal on the other end of stdout can show.
#pragma once

namespace ladder {

bool stdout_is_terminal();
// ANSI colors when stdout is a terminal and NO_COLOR is unset.
bool stdout_supports_color();

}  // namespace ladder
