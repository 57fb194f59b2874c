#include "config/ladder_config.hpp"

#include <algorithm>
#include <cmath>

namespace ladder::config {

Check fraction_or_steps() {
    return {"a fraction in [0, 1] or a whole number of steps",
            [](double x) { return x >= 0 && (x <= 1 || std::floor(x) == x); }};
}

void decode(const YAML::Node& node, const std::string& path, CycleSpec& out) {
    out = CycleSpec{};
    if (node.IsSequence()) {
        out.is_list = true;
        decode(node, path, out.values);
        if (out.values.empty())
            throw ConfigError(path, "expected a non-empty list");
        for (size_t i = 0; i < out.values.size(); ++i) {
            const double v = out.values[i];
            if (v <= 0 || std::floor(v) != v) {
                throw ConfigError(path + "." + std::to_string(i),
                                  "expected a whole number of steps > 0, got " + format_number(v));
            }
        }
        return;
    }
    double value = 0;
    decode(node, path, value);
    if (!(value > 0)) {
        throw ConfigError(path, "expected a number > 0, got " + format_number(value));
    }
    out.values = {value};
}

YAML::Node encode(const CycleSpec& value) {
    if (value.is_list)
        return encode(value.values);
    return encode(value.values.front());
}

std::map<std::string, std::string> backend_setting(const std::string& text) {
    std::map<std::string, std::string> backends;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string item = text.substr(start, comma - start);
        start = comma + 1;
        const size_t colon = item.find(':');
        const std::string device = item.substr(0, colon);
        const std::string name = colon == std::string::npos ? "" : item.substr(colon + 1);
        if (item != "cpu:gloo" && item != "cuda:nccl" && item != "cuda:gloo") {
            throw ConfigError("backend",
                              "expected entries cpu:gloo, cuda:nccl or cuda:gloo "
                              "separated by commas, got '" +
                                  item + "' in '" + text + "'");
        }
        if (!backends.emplace(device, name).second)
            throw ConfigError("backend", "names two backends for " + device + " in '" + text + "'");
    }
    return backends;
}

std::string ladder_dir(const LadderConfig& config) {
    return config.dir.value_or("model-ladders/" + config.name);
}

}  // namespace ladder::config
