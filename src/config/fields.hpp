// The one field list per config struct, and the visitors that walk it.
//
// Every config struct declares its fields once, in a member template:
//
//     template <class V> void fields(V& v) {
//         v.field("max_devices", max_devices, "accelerators available to each run", positive());
//         v.choice("family", family, {"olmo3", "olmo2"}, "model family");
//     }
//
// and the visitors read that list: Decoder (YAML -> struct, strict: unknown keys, wrong
// types and out-of-range values are errors naming the dotted path), Encoder (struct ->
// YAML, for --print-config and config files beside checkpoints), Describer (the key
// reference printed by `ladder help-config`) and the loader's path resolution. A field
// name, its range (a Check) and whether it holds file paths (kPath) are written once.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "util/error.hpp"

namespace ladder::config {

// A config value that is missing, of the wrong type or out of range. `path` is the full
// dotted key ("run.decay_fraction"); the loader adds where the value came from.
class ConfigError : public UsageError {
  public:
    ConfigError(std::string path, const std::string& problem)
        : UsageError(path.empty() ? problem : path + ": " + problem),
          path_(std::move(path)),
          problem_(problem) {}
    const std::string& path() const { return path_; }
    const std::string& problem() const { return problem_; }

  private:
    std::string path_;
    std::string problem_;
};

std::string join_path(const std::string& parent, const std::string& key);

// Shortest decimal text that reads back as exactly `value` ("0.1", "1e-05", "4").
std::string format_number(double value);

// A constraint on a numeric field: `expected` completes "expected ..." in errors and help.
struct Check {
    std::string expected;
    std::function<bool(double)> ok;
};
Check positive();
Check non_negative();
Check open_interval(double low, double high);
Check at_least(double low);
Check between(double low, double high);  // inclusive
Check positive_at_most(double high);     // (0, high]

// Marks a field whose strings are file paths: relative ones are resolved against the folder
// of the config file that wrote them, or the working folder for defaults and overrides.
struct PathKey {};
inline constexpr PathKey kPath{};

// Whether a struct declares a field list: `fields(V&)` is callable with some visitor.
struct FieldProbe {};
template <class T, class = void>
struct has_fields : std::false_type {};
template <class T>
struct has_fields<T, std::void_t<decltype(std::declval<T&>().fields(std::declval<FieldProbe&>()))>>
    : std::true_type {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// ---------------------------------------------------------------------------------------
// Decoding

std::string describe_node(const YAML::Node& node);  // "'abc'", "a list", "a mapping", "null"

void decode(const YAML::Node& node, const std::string& path, bool& out);
void decode(const YAML::Node& node, const std::string& path, int64_t& out);
void decode(const YAML::Node& node, const std::string& path, double& out);
void decode(const YAML::Node& node, const std::string& path, std::string& out);

template <class T>
void decode(const YAML::Node& node, const std::string& path, std::optional<T>& out);
template <class T>
void decode(const YAML::Node& node, const std::string& path, std::vector<T>& out);
template <class T>
void decode(const YAML::Node& node, const std::string& path, std::map<std::string, T>& out);
template <class T, std::enable_if_t<has_fields<T>::value, int> = 0>
void decode(const YAML::Node& node, const std::string& path, T& out);

template <class T>
void check_value(const T& value, const std::string& path, const Check& check) {
    if constexpr (std::is_arithmetic_v<T>) {
        if (!check.ok(static_cast<double>(value))) {
            const std::string got = std::is_integral_v<T>
                                        ? std::to_string(value)
                                        : format_number(static_cast<double>(value));
            throw ConfigError(path, "expected " + check.expected + ", got " + got);
        }
    } else if constexpr (is_optional<T>::value) {
        if (value)
            check_value(*value, path, check);
    }
}

// Reads the fields of one mapping; every key must be claimed by a field.
class Decoder {
  public:
    Decoder(const YAML::Node& map, std::string path) : map_(map), path_(std::move(path)) {}

    template <class T>
    void field(const char* name, T& member, const std::string& /*help*/) {
        if (const YAML::Node value = take(name))
            decode(value, join_path(path_, name), member);
    }
    template <class T>
    void field(const char* name, T& member, const std::string& help, const Check& check) {
        field(name, member, help);
        check_value(member, join_path(path_, name), check);
    }
    // Paths were resolved in the YAML tree before decoding.
    template <class T>
    void field(const char* name, T& member, const std::string& help, PathKey) {
        field(name, member, help);
    }
    void choice(const char* name, std::string& member, const std::vector<std::string>& choices,
                const std::string& help);
    template <class F>
    void one_of(const char* name, std::string& member, const std::vector<std::string>& choices,
                const std::string& help, F&& visit_variant) {
        choice(name, member, choices, help);
        visit_variant(member);
    }

    // Every key of the mapping that no field claimed is an error naming the closest field.
    void finish() const;

  private:
    YAML::Node take(const char* name);

    YAML::Node map_;
    std::string path_;
    std::vector<std::string> known_;
    std::set<std::string> seen_;
};

template <class T>
void decode(const YAML::Node& node, const std::string& path, std::optional<T>& out) {
    if (node.IsNull()) {
        out.reset();
        return;
    }
    T value = out ? *out : T{};
    decode(node, path, value);
    out = std::move(value);
}

template <class T>
void decode(const YAML::Node& node, const std::string& path, std::vector<T>& out) {
    if (!node.IsSequence())
        throw ConfigError(path, "expected a list, got " + describe_node(node));
    out.clear();
    for (size_t i = 0; i < node.size(); ++i) {
        T value{};
        decode(node[i], path + "." + std::to_string(i), value);
        out.push_back(std::move(value));
    }
}

template <class T>
void decode(const YAML::Node& node, const std::string& path, std::map<std::string, T>& out) {
    if (node.IsNull()) {
        out.clear();
        return;
    }
    if (!node.IsMap())
        throw ConfigError(path, "expected a mapping, got " + describe_node(node));
    out.clear();
    for (const auto& item : node) {
        const std::string key = item.first.as<std::string>();
        T value{};
        decode(item.second, join_path(path, key), value);
        out.emplace(key, std::move(value));
    }
}

template <class T, std::enable_if_t<has_fields<T>::value, int>>
void decode(const YAML::Node& node, const std::string& path, T& out) {
    if (!node.IsMap())
        throw ConfigError(path, "expected a mapping, got " + describe_node(node));
    Decoder decoder(node, path);
    out.fields(decoder);
    decoder.finish();
}

// ---------------------------------------------------------------------------------------
// Encoding

YAML::Node encode(bool value);
YAML::Node encode(int64_t value);
YAML::Node encode(double value);
YAML::Node encode(const std::string& value);
template <class T>
YAML::Node encode(const std::optional<T>& value);
template <class T>
YAML::Node encode(const std::vector<T>& value);
template <class T>
YAML::Node encode(const std::map<std::string, T>& value);
template <class T, std::enable_if_t<has_fields<T>::value, int> = 0>
YAML::Node encode(const T& value);

class Encoder {
  public:
    template <class T, class... Rest>
    void field(const char* name, const T& member, const std::string&, Rest&&...) {
        node_[name] = encode(member);
    }
    void choice(const char* name, const std::string& member, const std::vector<std::string>&,
                const std::string&) {
        node_[name] = encode(member);
    }
    template <class F>
    void one_of(const char* name, const std::string& member, const std::vector<std::string>&,
                const std::string&, F&& visit_variant) {
        node_[name] = encode(member);
        visit_variant(member);
    }
    YAML::Node node() const { return node_; }

  private:
    YAML::Node node_{YAML::NodeType::Map};
};

template <class T>
YAML::Node encode(const std::optional<T>& value) {
    return value ? encode(*value) : YAML::Node(YAML::NodeType::Null);
}
template <class T>
YAML::Node encode(const std::vector<T>& value) {
    YAML::Node node(YAML::NodeType::Sequence);
    for (const auto& item : value)
        node.push_back(encode(item));
    return node;
}
template <class T>
YAML::Node encode(const std::map<std::string, T>& value) {
    YAML::Node node(YAML::NodeType::Map);
    for (const auto& [key, item] : value)
        node[key] = encode(item);
    return node;
}
template <class T, std::enable_if_t<has_fields<T>::value, int>>
YAML::Node encode(const T& value) {
    Encoder encoder;
    // The field list is declared on non-const members; encoding only reads them.
    const_cast<T&>(value).fields(encoder);
    return encoder.node();
}

// ---------------------------------------------------------------------------------------
// Describing (the key reference)

struct KeyDoc {
    std::string path;           // "run.decay_fraction"
    std::string type;           // "number", "integer or null", "list of string", ...
    std::string default_value;  // YAML flow text of the built-in default
    std::string help;           // includes allowed choices / ranges
    bool is_path = false;       // declared with kPath
};

template <class T>
std::string type_name();

class Describer {
  public:
    explicit Describer(std::vector<KeyDoc>& out, std::string path = "", std::string when = "")
        : out_(out), path_(std::move(path)), when_(std::move(when)) {}

    template <class T>
    void field(const char* name, const T& member, const std::string& help) {
        add(name, member, help);
    }
    template <class T>
    void field(const char* name, const T& member, const std::string& help, const Check& check) {
        add(name, member, help + " (" + check.expected + ")");
    }
    template <class T>
    void field(const char* name, const T& member, const std::string& help, PathKey) {
        add(name, member, help + " (relative paths: to the config file's folder)", true);
    }
    void choice(const char* name, const std::string& member,
                const std::vector<std::string>& choices, const std::string& help);
    template <class F>
    void one_of(const char* name, std::string& member, const std::vector<std::string>& choices,
                const std::string& help, F&& visit_variant) {
        choice(name, member, choices, help);
        const std::string saved_when = when_;
        const std::string saved_value = member;
        for (const auto& variant : choices) {
            when_ = "with " + join_path(path_, name) + ": " + variant;
            member = variant;
            visit_variant(member);
        }
        member = saved_value;
        when_ = saved_when;
    }

  private:
    template <class T>
    void add(const char* name, const T& member, const std::string& help, bool is_path = false);

    std::vector<KeyDoc>& out_;
    std::string path_;
    std::string when_;
};

std::string flow_text(const YAML::Node& node);  // one-line YAML text of a node

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_map : std::false_type {};
template <class T>
struct is_map<std::map<std::string, T>> : std::true_type {};

template <class T>
std::string type_name() {
    if constexpr (std::is_same_v<T, bool>) {
        return "boolean";
    } else if constexpr (std::is_same_v<T, int64_t>) {
        return "integer";
    } else if constexpr (std::is_same_v<T, double>) {
        return "number";
    } else if constexpr (std::is_same_v<T, std::string>) {
        return "string";
    } else if constexpr (is_optional<T>::value) {
        return type_name<typename T::value_type>() + " or null";
    } else if constexpr (is_vector<T>::value) {
        return "list of " + type_name<typename T::value_type>();
    } else if constexpr (is_map<T>::value) {
        return "mapping of name to " + type_name<typename T::mapped_type>();
    } else {
        return "mapping";
    }
}

template <class T>
void Describer::add(const char* name, const T& member, const std::string& help, bool is_path) {
    const std::string path = join_path(path_, name);
    std::string text = help;
    if (!when_.empty())
        text += " [" + when_ + "]";
    out_.push_back({path, type_name<T>(), flow_text(encode(member)), text, is_path});
    using Plain = std::remove_cv_t<T>;
    if constexpr (has_fields<Plain>::value) {
        Describer nested(out_, path, when_);
        const_cast<Plain&>(member).fields(nested);
    } else if constexpr (is_optional<Plain>::value) {
        using Inner = typename Plain::value_type;
        if constexpr (has_fields<Inner>::value) {
            Inner example{};
            Describer nested(out_, path, when_);
            example.fields(nested);
        }
    } else if constexpr (is_map<Plain>::value) {
        using Inner = typename Plain::mapped_type;
        if constexpr (has_fields<Inner>::value) {
            Inner example{};
            Describer nested(out_, path + ".<name>", when_);
            example.fields(nested);
        }
    }
}

}  // namespace ladder::config
