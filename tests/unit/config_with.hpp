// Builds a ladder config from the built-in defaults and `key -> YAML value` overrides,
// as `--key=value` on the command line would.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/load.hpp"

namespace ladder::test {

using Settings = std::vector<std::pair<std::string, std::string>>;

inline config::LadderConfig config_with(const Settings& settings) {
    std::vector<config::Override> overrides;
    for (const auto& [key, value] : settings)
        overrides.push_back({key, value, "--" + key});
    return config::load_config(std::nullopt, overrides);
}

}  // namespace ladder::test
