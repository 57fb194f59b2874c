// Splitting `--dotted.key=VALUE` overrides out of a command line, before the command's
// own options are parsed.
#pragma once

#include <string>
#include <vector>

#include "config/load.hpp"

namespace ladder::config {

struct SplitArguments {
    std::vector<std::string> remaining;  // everything that is not an override
    std::vector<Override> overrides;     // in command-line order; the last one wins
};

// An argument `--KEY[=VALUE]` is an override when KEY (with '-' read as '_') starts with
// a top-level config key: `--run.lr_multiplier=0.5`, `--seed 7`, `--trainer.hard-stop
// '{value: 100, unit: steps}'`. Without '=', the next argument is the value, except for
// boolean keys, where a bare flag means true.
SplitArguments split_overrides(const std::vector<std::string>& args);

}  // namespace ladder::config
