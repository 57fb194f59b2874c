#include "config/fields.hpp"

#include "util/format.hpp"

#include <cstdio>
#include <cstdlib>
#include <limits>

namespace ladder::config {

std::string join_path(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
}

std::string format_number(double value) {
    if (std::isnan(value))
        return ".nan";
    if (std::isinf(value))
        return value > 0 ? ".inf" : "-.inf";
    return python_float(value);
}

Check positive() {
    return {"a number > 0", [](double v) { return v > 0; }};
}
Check non_negative() {
    return {"a number >= 0", [](double v) { return v >= 0; }};
}
Check at_least(double low) {
    return {"a number >= " + shortest_number(low), [low](double v) { return v >= low; }};
}
Check between(double low, double high) {
    return {"a number in [" + shortest_number(low) + ", " + shortest_number(high) + "]",
            [low, high](double v) { return v >= low && v <= high; }};
}
Check positive_at_most(double high) {
    const std::string bound = std::floor(high) == high && high < 1e15
                                  ? std::to_string(static_cast<int64_t>(high))
                                  : shortest_number(high);
    return {"a number in (0, " + bound + "]", [high](double v) { return v > 0 && v <= high; }};
}
Check open_interval(double low, double high) {
    return {"a number in (" + shortest_number(low) + ", " + shortest_number(high) + ")",
            [low, high](double v) { return v > low && v < high; }};
}

std::string describe_node(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null:
            return "null";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a mapping";
        default:
            return "'" + node.Scalar() + "'";
    }
}

namespace {

// Plain (unquoted) YAML scalars are typed by their text; a quoted one is always a string.
bool is_plain_scalar(const YAML::Node& node) {
    return node.IsScalar() && node.Tag() != "!";
}

std::optional<double> parse_number(const std::string& text) {
    if (text.empty())
        return std::nullopt;
    if (text == ".inf" || text == "+.inf")
        return std::numeric_limits<double>::infinity();
    if (text == "-.inf")
        return -std::numeric_limits<double>::infinity();
    if (text == ".nan")
        return std::numeric_limits<double>::quiet_NaN();
    std::string cleaned;
    for (char c : text) {
        if (c != '_')
            cleaned += c;  // YAML 1.1 digit separators: 1_000_000
    }
    char* end = nullptr;
    const double value = std::strtod(cleaned.c_str(), &end);
    if (end == cleaned.c_str() || *end != '\0')
        return std::nullopt;
    // strtod also reads hex floats and "inf"/"nan" words; YAML numbers do not.
    for (char c : cleaned) {
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
              c == '+' || c == '-')) {
            return std::nullopt;
        }
    }
    return value;
}

}  // namespace

void decode(const YAML::Node& node, const std::string& path, bool& out) {
    if (is_plain_scalar(node)) {
        const std::string& text = node.Scalar();
        if (text == "true" || text == "True" || text == "TRUE") {
            out = true;
            return;
        }
        if (text == "false" || text == "False" || text == "FALSE") {
            out = false;
            return;
        }
    }
    throw ConfigError(path, "expected true or false, got " + describe_node(node));
}

void decode(const YAML::Node& node, const std::string& path, int64_t& out) {
    if (is_plain_scalar(node)) {
        if (const auto value = parse_number(node.Scalar())) {
            // Integers written as 1e6 or 4.0 are accepted when they are whole.
            if (std::isfinite(*value) && std::floor(*value) == *value &&
                std::fabs(*value) < 9.007199254740992e15) {
                out = static_cast<int64_t>(*value);
                return;
            }
        }
    }
    throw ConfigError(path, "expected an integer, got " + describe_node(node));
}

void decode(const YAML::Node& node, const std::string& path, double& out) {
    if (is_plain_scalar(node)) {
        if (const auto value = parse_number(node.Scalar())) {
            // No setting means anything with infinity or NaN, and such a value only shows
            // up later as a misleading error far from its key.
            if (!std::isfinite(*value))
                throw ConfigError(path, "expected a finite number, got " + describe_node(node));
            out = *value;
            return;
        }
    }
    throw ConfigError(path, "expected a number, got " + describe_node(node));
}

void decode(const YAML::Node& node, const std::string& path, std::string& out) {
    if (!node.IsScalar())
        throw ConfigError(path, "expected a string, got " + describe_node(node));
    out = node.Scalar();
}

YAML::Node Decoder::take(const char* name) {
    known_.emplace_back(name);
    seen_.insert(name);
    return map_[name];
}

void Decoder::choice(const char* name, std::string& member, const std::vector<std::string>& choices,
                     const std::string& help) {
    field(name, member, help);
    for (const auto& choice : choices) {
        if (member == choice)
            return;
    }
    std::string message = "expected one of " + join(choices, "|") + ", got '" + member + "'";
    const std::string near = closest_match(member, choices);
    if (!near.empty())
        message += " (did you mean '" + near + "'?)";
    throw ConfigError(join_path(path_, name), message);
}

void Decoder::finish() const {
    for (const auto& item : map_) {
        const std::string key = item.first.as<std::string>();
        if (seen_.count(key))
            continue;
        std::string message = "unknown key";
        const std::string near = closest_match(key, known_);
        if (!near.empty()) {
            message += " (did you mean '" + join_path(path_, near) + "'?)";
        } else {
            message += " (valid keys here: " + join(known_, ", ") + ")";
        }
        throw ConfigError(join_path(path_, key), message);
    }
}

YAML::Node encode(bool value) {
    return YAML::Node(value ? "true" : "false");
}
YAML::Node encode(int64_t value) {
    return YAML::Node(std::to_string(value));
}
YAML::Node encode(double value) {
    return YAML::Node(format_number(value));
}
YAML::Node encode(const std::string& value) {
    return YAML::Node(value);
}

void Describer::choice(const char* name, const std::string& member,
                       const std::vector<std::string>& choices, const std::string& help) {
    add(name, member, help + " (" + join(choices, "|") + ")");
}

std::string flow_text(const YAML::Node& node) {
    YAML::Emitter emitter;
    emitter.SetMapFormat(YAML::Flow);
    emitter.SetSeqFormat(YAML::Flow);
    emitter << node;
    return emitter.c_str();
}

}  // namespace ladder::config
