// Loading a ladder config: built-in defaults, then the YAML file (with !include), then
// command-line overrides, decoded strictly into a LadderConfig and validated.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"

namespace ladder::config {

// One `--dotted.key=VALUE` from the command line; VALUE is YAML text.
struct Override {
    std::string key;    // normalized: "trainer.hard_stop"
    std::string value;  // "{value: 100, unit: steps}"
    std::string flag;   // as typed, for error messages: "--trainer.hard-stop"
};

// defaults <- file <- overrides, decoded and validated. The file's `!include other.yaml`
// nodes are replaced by that file's contents (relative to the including file). Errors are
// ConfigError naming the dotted key and the file or flag its value came from.
LadderConfig load_config(const std::optional<std::string>& file,
                         const std::vector<Override>& overrides);

// The fully resolved config as YAML text (for --print-config).
std::string to_yaml(const LadderConfig& config);

// The fully resolved config as JSON (written beside every checkpoint): YAML scalars typed
// as JSON booleans, numbers and nulls where they read as such.
std::string to_json_text(const LadderConfig& config);

// Every key with type, default and help, in declaration order.
std::vector<KeyDoc> describe_keys();

}  // namespace ladder::config
