#include "config/load.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "config/tokenizers.hpp"
#include "config/yaml_reader.hpp"
#include "util/format.hpp"
#include "util/input_file.hpp"

namespace ladder::config {

namespace fs = std::filesystem;

namespace {

// Where each value came from, by dotted path: "configs/demo.yaml" or "--run.lr_multiplier".
using Sources = std::map<std::string, std::string>;

std::string chain_text(const std::vector<fs::path>& chain) {
    return join(std::vector<std::string>(chain.begin(), chain.end()), " -> ");
}

// Calls `visit` on `node` with its dotted path ("data.paths.0") and, while it returns
// true, on every node below it.
void walk(YAML::Node node, const std::string& path,
          const std::function<bool(YAML::Node, const std::string&)>& visit) {
    if (!visit(node, path))
        return;
    if (node.IsMap()) {
        for (auto item : node)
            walk(item.second, join_path(path, item.first.Scalar()), visit);
    } else if (node.IsSequence()) {
        for (size_t i = 0; i < node.size(); ++i)
            walk(node[i], path + "." + std::to_string(i), visit);
    }
}

// Whether a dotted key holds a file path: a field declared with kPath, or an entry of one.
bool is_path_key(const std::string& dotted) {
    static const std::vector<std::string> path_keys = [] {
        std::vector<std::string> keys;
        for (const auto& doc : describe_keys()) {
            if (doc.is_path)
                keys.push_back(doc.path);
        }
        return keys;
    }();
    for (const auto& key : path_keys) {
        if (dotted == key || dotted.rfind(key + ".", 0) == 0)
            return true;
    }
    return false;
}

bool is_relative_path(const std::string& text) {
    return !text.empty() && text.find("://") == std::string::npos && fs::path(text).is_relative();
}

// Relative paths written in a file are relative to that file's folder.
void rebase_paths(YAML::Node root, const std::string& mount, const fs::path& dir) {
    walk(root, mount, [&](YAML::Node node, const std::string& path) {
        if (node.IsScalar() && is_path_key(path) && is_relative_path(node.Scalar()))
            node = (dir / node.Scalar()).lexically_normal().string();
        return true;
    });
}

// Which file each `!include` brought in, by the dotted path it was mounted at.
using Includes = std::vector<std::pair<std::string, std::string>>;

YAML::Node parse_file(const fs::path& file, const std::string& mount, std::vector<fs::path>& chain,
                      Includes& includes);

void resolve_includes(YAML::Node root, const std::string& mount, const fs::path& dir,
                      std::vector<fs::path>& chain, Includes& includes) {
    walk(root, mount, [&](YAML::Node node, const std::string& path) {
        if (node.Tag() != "!include")
            return true;
        if (!node.IsScalar()) {
            throw UsageError("config file '" + chain.back().string() + "': " +
                             (path.empty() ? "" : path + ": ") + "!include expects a file name");
        }
        const fs::path included = dir / node.Scalar();
        node = parse_file(included, path, chain, includes);
        includes.emplace_back(path, included.string());
        return false;
    });
}

// A config file is text of a few kilobytes; anything near this is another kind of file.
constexpr uint64_t kMaxConfigFileBytes = 16u << 20;

YAML::Node parse_file(const fs::path& file, const std::string& mount, std::vector<fs::path>& chain,
                      Includes& includes) {
    const fs::path absolute = fs::absolute(file).lexically_normal();
    for (const auto& outer : chain) {
        if (fs::absolute(outer).lexically_normal() == absolute) {
            auto cycle = chain;
            cycle.push_back(file);
            throw UsageError("config include cycle: " + chain_text(cycle));
        }
    }
    const std::string from = chain.empty() ? "" : " (included from " + chain_text(chain) + ")";
    YAML::Node root;
    try {
        root = read_yaml(read_input_file(file.string(), "config file", kMaxConfigFileBytes));
    } catch (const UsageError& e) {
        throw UsageError(e.what() + from);
    } catch (const YamlSyntaxError& e) {
        throw UsageError("config file '" + file.string() + "'" + from + ": " + e.located());
    }
    if (root.IsNull()) {
        throw UsageError("config file '" + file.string() + "'" + from + " holds no settings" +
                         (chain.empty() ? "; write `{}` for the built-in ladder" : ""));
    }
    chain.push_back(file);
    resolve_includes(root, mount, absolute.parent_path(), chain, includes);
    chain.pop_back();
    rebase_paths(root, mount, absolute.parent_path());
    return root;
}

void record_sources(const YAML::Node& node, const std::string& path, const std::string& source,
                    Sources& sources) {
    walk(node, path, [&](YAML::Node, const std::string& at) {
        sources[at] = source;
        return true;
    });
}

std::string type_of(const YAML::Node& map) {
    if (!map.IsMap())
        return "";
    const YAML::Node type = map["type"];
    return type && type.IsScalar() ? type.Scalar() : "";
}

// Mappings merge key by key; anything else is replaced whole. A mapping whose `type`
// changes is replaced whole too, since its keys belong to the other type.
YAML::Node merged(const YAML::Node& base, const YAML::Node& overlay, const std::string& path,
                  const std::string& source, Sources& sources) {
    if (base.IsMap() && overlay.IsMap() &&
        (!overlay["type"] || type_of(base) == type_of(overlay))) {
        YAML::Node out = YAML::Clone(base);
        for (const auto& item : overlay) {
            const std::string key = item.first.Scalar();
            const YAML::Node old = base[key];
            out[key] = old ? merged(old, item.second, join_path(path, key), source, sources)
                           : YAML::Clone(item.second);
            if (!old)
                record_sources(item.second, join_path(path, key), source, sources);
        }
        return out;
    }
    record_sources(overlay, path, source, sources);
    return YAML::Clone(overlay);
}

// A list index as an override names it ("data.paths.0"); nine digits keep stoul in range.
bool is_index(const std::string& segment) {
    return !segment.empty() && segment.size() <= 9 &&
           segment.find_first_not_of("0123456789") == std::string::npos;
}

void apply_override(YAML::Node& root, const Override& item, Sources& sources) {
    YAML::Node value;
    try {
        value = item.value.empty() ? YAML::Node(std::string()) : read_yaml(item.value);
    } catch (const YamlSyntaxError& e) {
        throw ConfigError(item.key, "cannot read value '" + item.value + "' as YAML (" + e.what() +
                                        ") (from " + item.flag + ")");
    }
    std::vector<std::string> segments;
    size_t start = 0;
    while (true) {
        const size_t dot = item.key.find('.', start);
        segments.push_back(item.key.substr(start, dot - start));
        if (dot == std::string::npos)
            break;
        start = dot + 1;
    }
    YAML::Node node;
    node.reset(root);
    std::string path;
    for (size_t i = 0; i < segments.size(); ++i) {
        const std::string& segment = segments[i];
        const bool last = i + 1 == segments.size();
        if (node.IsSequence()) {
            if (!is_index(segment) || std::stoul(segment) >= node.size()) {
                throw ConfigError(path, "has " + std::to_string(node.size()) +
                                            " entries; no index '" + segment + "' (from " +
                                            item.flag + ")");
            }
        } else if (!node.IsMap()) {
            if (!node.IsNull()) {
                throw ConfigError(path, "is " + describe_node(node) + ", not a mapping with key '" +
                                            segment + "' (from " + item.flag + ")");
            }
            node = YAML::Node(YAML::NodeType::Map);
        }
        path = join_path(path, segment);
        if (last) {
            if (segment == "type" && node.IsMap() && type_of(node) != "" && value.IsScalar() &&
                value.Scalar() != type_of(node)) {
                // Switching the type of a section drops the keys of the old type.
                node = YAML::Node(YAML::NodeType::Map);
            }
            if (node.IsSequence()) {
                node[std::stoul(segment)] = value;
            } else {
                node[segment] = value;
            }
            record_sources(value, path, item.flag, sources);
            return;
        }
        YAML::Node child = node.IsSequence() ? node[std::stoul(segment)] : node[segment];
        node.reset(child);
    }
}

std::string source_of(const std::string& path, const Sources& sources) {
    std::string key = path;
    while (true) {
        const auto found = sources.find(key);
        if (found != sources.end())
            return found->second;
        const size_t dot = key.rfind('.');
        if (dot == std::string::npos)
            return "";
        key = key.substr(0, dot);
    }
}

// Makes the relative paths of every kPath field absolute against the working folder.
class PathResolver {
  public:
    template <class T, class... Rest>
    void field(const char*, T& member, const std::string&, Rest&&...) {
        nested(member);
    }
    template <class T>
    void field(const char*, T& member, const std::string&, PathKey) {
        absolutize(member);
    }
    void choice(const char*, std::string&, const std::vector<std::string>&, const std::string&) {}
    template <class F>
    void one_of(const char*, std::string& member, const std::vector<std::string>&,
                const std::string&, F&& visit_variant) {
        visit_variant(member);
    }

  private:
    template <class T>
    void nested(T& member) {
        if constexpr (has_fields<T>::value) {
            member.fields(*this);
        } else if constexpr (is_optional<T>::value) {
            if (member)
                nested(*member);
        } else if constexpr (is_map<T>::value) {
            for (auto& item : member)
                nested(item.second);
        }
    }
    static void absolutize(std::string& path) {
        if (is_relative_path(path))
            path = fs::absolute(path).lexically_normal().string();
    }
    template <class T>
    static void absolutize(std::optional<T>& paths) {
        if (paths)
            absolutize(*paths);
    }
    template <class T>
    static void absolutize(std::vector<T>& paths) {
        for (auto& path : paths)
            absolutize(path);
    }
    template <class T>
    static void absolutize(std::map<std::string, T>& paths) {
        for (auto& item : paths)
            absolutize(item.second);
    }
};

// Fills what the config leaves to defaults that depend on other keys.
void resolve(LadderConfig& config) {
    // Relative paths from files were rebased on the file's folder while loading; what is
    // still relative (defaults, command-line overrides) is relative to the working folder.
    config.dir = ladder_dir(config);
    PathResolver resolver;
    config.fields(resolver);
    if (!config.project)
        config.project = config.name;
    resolve_tokenizer(config.tokenizer);
}

// Names that become folder and file names (<dir>/<size>, runs <name>-<size>, plots under
// <name>/) are one plain path component: never "..", a slash or a control character.
void validate_file_name(const std::string& key, const std::string& name) {
    const bool plain = !name.empty() && name.size() <= 128 && name.front() != '.' &&
                       name.front() != '-' && std::all_of(name.begin(), name.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                                  c == '_' || c == '.' || c == '+';
                       });
    if (!plain) {
        throw ConfigError(key,
                          "expected up to 128 letters, digits and . _ + - (not first: "
                          ". or -), got '" +
                              name + "'");
    }
}

void validate(const LadderConfig& config) {
    validate_file_name("name", config.name);
    for (const auto& [size, spec] : config.model.sizes) {
        validate_file_name("model.sizes." + size, size);
        // The rotary embedding turns pairs of a head's dimensions.
        const int64_t head_dim =
            spec.head_dim.value_or(spec.d_model / std::max<int64_t>(1, spec.n_heads));
        if (head_dim % 2 != 0) {
            throw ConfigError("model.sizes." + size + (spec.head_dim ? ".head_dim" : ".n_heads"),
                              "expected an even head width (rotary embeddings turn pairs of "
                              "dimensions), got " +
                                  std::to_string(head_dim));
        }
    }
    if (config.sizes.empty())
        throw ConfigError("sizes", "expected at least one size");
    validate_run(config);
    backend_setting(config.backend);
    if (config.model.rank_microbatch_size &&
        *config.model.rank_microbatch_size % config.sequence_length != 0) {
        throw ConfigError("model.rank_microbatch_size",
                          "expected a multiple of sequence_length (" +
                              std::to_string(config.sequence_length) + "), got " +
                              std::to_string(*config.model.rank_microbatch_size));
    }
    validate_tokenizer(config.tokenizer, "tokenizer");
    const ActivationCheckpointingConfig& ac = config.trainer.activation_checkpointing;
    if (ac.mode == "selected_blocks" && !ac.block_interval) {
        throw ConfigError("trainer.activation_checkpointing.block_interval",
                          "expected a positive number of blocks with mode selected_blocks");
    }
    if (ac.mode == "budget" && !ac.activation_memory_budget) {
        throw ConfigError("trainer.activation_checkpointing.activation_memory_budget",
                          "expected a fraction in [0, 1] with mode budget");
    }
    // OLMo-core's CheckpointerCallback.pre_train asserts the same: an ephemeral checkpoint
    // at a permanent interval's step would be removed as ephemeral.
    const CheckpointerConfig& checkpointer = config.trainer.callbacks.checkpointer;
    if (checkpointer.save_interval && checkpointer.ephemeral_save_interval &&
        *checkpointer.ephemeral_save_interval >= *checkpointer.save_interval) {
        throw ConfigError("trainer.callbacks.checkpointer.ephemeral_save_interval",
                          "expected less than save_interval (" +
                              std::to_string(*checkpointer.save_interval) + "), got " +
                              std::to_string(*checkpointer.ephemeral_save_interval));
    }
}

}  // namespace

namespace {

// Values that came from an included file are "in" that file, not in the one including it;
// `includes` lists inner files before the outer ones including them.
void attribute_includes(const Includes& includes, Sources& sources) {
    for (auto item = includes.rbegin(); item != includes.rend(); ++item) {
        const auto& [mount, file] = *item;
        for (auto& [path, source] : sources) {
            if (mount.empty() || path == mount || path.rfind(mount + ".", 0) == 0)
                source = file;
        }
    }
}

}  // namespace

LadderConfig load_config(const std::optional<std::string>& file,
                         const std::vector<Override>& overrides) {
    Sources sources;
    YAML::Node root = encode(LadderConfig{});
    if (file) {
        std::vector<fs::path> chain;
        Includes includes;
        const YAML::Node from_file = parse_file(*file, "", chain, includes);
        if (!from_file.IsMap()) {
            throw UsageError("config file '" + *file + "': expected a mapping of keys, got " +
                             describe_node(from_file));
        }
        root = merged(root, from_file, "", *file, sources);
        attribute_includes(includes, sources);
    }
    for (const auto& item : overrides)
        apply_override(root, item, sources);

    LadderConfig config;
    try {
        decode(root, "", config);
        resolve(config);
        validate(config);
    } catch (const ConfigError& e) {
        const std::string source = source_of(e.path(), sources);
        if (source.empty())
            throw;
        throw ConfigError(
            e.path(),
            e.problem() + " (" + (source.rfind("--", 0) == 0 ? "from " : "in ") + source + ")");
    }
    return config;
}

std::string to_yaml(const LadderConfig& config) {
    YAML::Emitter emitter;
    emitter << encode(config);
    return std::string(emitter.c_str()) + "\n";
}

namespace {

nlohmann::json yaml_to_json(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map: {
            nlohmann::json out = nlohmann::json::object();
            for (const auto& item : node)
                out[item.first.Scalar()] = yaml_to_json(item.second);
            return out;
        }
        case YAML::NodeType::Sequence: {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& item : node)
                out.push_back(yaml_to_json(item));
            return out;
        }
        case YAML::NodeType::Scalar: {
            const std::string& text = node.Scalar();
            if (text == "true" || text == "false")
                return text == "true";
            if (text == "~" || text == "null")
                return nullptr;
            // Numbers the encoder wrote (python_float / integers) read back exactly.
            const auto parsed = nlohmann::json::parse(text, nullptr, false);
            if (!parsed.is_discarded() && parsed.is_number())
                return parsed;
            return text;
        }
        default:
            return nullptr;
    }
}

}  // namespace

std::string to_json_text(const LadderConfig& config) {
    return yaml_to_json(encode(config)).dump(2) + "\n";
}

std::vector<KeyDoc> describe_keys() {
    std::vector<KeyDoc> docs;
    LadderConfig defaults;
    Describer describer(docs);
    defaults.fields(describer);
    return docs;
}

}  // namespace ladder::config
