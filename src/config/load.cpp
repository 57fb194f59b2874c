#include "config/load.hpp"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "config/tokenizers.hpp"

namespace ladder::config {

namespace fs = std::filesystem;

namespace {

// Where each value came from, by dotted path: "configs/demo.yaml" or "--run.lr_multiplier".
using Sources = std::map<std::string, std::string>;

std::string chain_text(const std::vector<fs::path>& chain) {
    std::string text;
    for (const auto& file : chain)
        text += (text.empty() ? "" : " -> ") + file.string();
    return text;
}

// Keys whose string values are file paths; relative ones are resolved against the
// directory of the file that wrote them.
bool is_path_key(const std::string& dotted) {
    for (const char* prefix : {"dir", "trainer.load_path", "data.paths.", "data.validation."}) {
        const std::string p = prefix;
        if (dotted == p || (p.back() == '.' && dotted.rfind(p, 0) == 0))
            return true;
    }
    return false;
}

void rebase_paths(YAML::Node node, const std::string& mount, const fs::path& dir) {
    if (node.IsMap()) {
        for (auto item : node)
            rebase_paths(item.second, join_path(mount, item.first.Scalar()), dir);
    } else if (node.IsSequence()) {
        for (size_t i = 0; i < node.size(); ++i) {
            rebase_paths(node[i], mount + "." + std::to_string(i), dir);
        }
    } else if (node.IsScalar() && is_path_key(mount)) {
        const std::string& text = node.Scalar();
        if (!text.empty() && text.find("://") == std::string::npos &&
            fs::path(text).is_relative()) {
            node = (dir / text).lexically_normal().string();
        }
    }
}

YAML::Node parse_file(const fs::path& file, const std::string& mount, std::vector<fs::path>& chain);

void resolve_includes(YAML::Node node, const std::string& mount, const fs::path& dir,
                      std::vector<fs::path>& chain) {
    if (node.Tag() == "!include") {
        if (!node.IsScalar()) {
            throw UsageError("config file '" + chain.back().string() + "': " +
                             (mount.empty() ? "" : mount + ": ") + "!include expects a file name");
        }
        node = parse_file(dir / node.Scalar(), mount, chain);
        return;
    }
    if (node.IsMap()) {
        for (auto item : node) {
            resolve_includes(item.second, join_path(mount, item.first.Scalar()), dir, chain);
        }
    } else if (node.IsSequence()) {
        for (size_t i = 0; i < node.size(); ++i) {
            resolve_includes(node[i], mount + "." + std::to_string(i), dir, chain);
        }
    }
}

YAML::Node parse_file(const fs::path& file, const std::string& mount,
                      std::vector<fs::path>& chain) {
    const fs::path absolute = fs::absolute(file).lexically_normal();
    for (const auto& outer : chain) {
        if (fs::absolute(outer).lexically_normal() == absolute) {
            auto cycle = chain;
            cycle.push_back(file);
            throw UsageError("config include cycle: " + chain_text(cycle));
        }
    }
    const std::string from = chain.empty() ? "" : " (included from " + chain_text(chain) + ")";
    std::error_code ec;
    if (!fs::is_regular_file(absolute, ec)) {
        throw UsageError("cannot read config file '" + file.string() + "'" + from +
                         ": no such file");
    }
    YAML::Node root;
    try {
        root = YAML::LoadFile(absolute.string());
    } catch (const YAML::BadFile&) {
        throw UsageError("cannot read config file '" + file.string() + "'" + from);
    } catch (const YAML::ParserException& e) {
        throw UsageError("config file '" + file.string() + "'" + from + ": line " +
                         std::to_string(e.mark.line + 1) + ", column " +
                         std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    chain.push_back(file);
    if (root.Tag() == "!include") {
        root = parse_file(absolute.parent_path() / root.Scalar(), mount, chain);
    } else {
        resolve_includes(root, mount, absolute.parent_path(), chain);
    }
    chain.pop_back();
    rebase_paths(root, mount, absolute.parent_path());
    return root;
}

void record_sources(const YAML::Node& node, const std::string& path, const std::string& source,
                    Sources& sources) {
    sources[path] = source;
    if (node.IsMap()) {
        for (const auto& item : node) {
            record_sources(item.second, join_path(path, item.first.Scalar()), source, sources);
        }
    } else if (node.IsSequence()) {
        for (size_t i = 0; i < node.size(); ++i) {
            record_sources(node[i], path + "." + std::to_string(i), source, sources);
        }
    }
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

bool is_index(const std::string& segment) {
    return !segment.empty() && segment.find_first_not_of("0123456789") == std::string::npos;
}

void apply_override(YAML::Node& root, const Override& item, Sources& sources) {
    YAML::Node value;
    try {
        value = item.value.empty() ? YAML::Node(std::string()) : YAML::Load(item.value);
    } catch (const YAML::ParserException& e) {
        throw ConfigError(item.key, "cannot read value '" + item.value + "' as YAML (" + e.msg +
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

bool is_power_of_two(double x) {
    int exponent = 0;
    return x > 0 && std::frexp(x, &exponent) == 0.5;
}

// Fills what the config leaves to defaults that depend on other keys.
void resolve(LadderConfig& config) {
    // Relative paths from files were rebased on the file's folder while loading; what is
    // still relative (defaults, command-line overrides) is relative to the working folder.
    if (!config.dir)
        config.dir = "model-ladders/" + config.name;
    for (std::optional<std::string>* path : {&config.dir, &config.trainer.load_path}) {
        if (*path && (*path)->find("://") == std::string::npos) {
            **path = fs::absolute(**path).lexically_normal().string();
        }
    }
    if (!config.project)
        config.project = config.name;
    resolve_tokenizer(config.tokenizer);
}

void validate(const LadderConfig& config) {
    if (config.sizes.empty())
        throw ConfigError("sizes", "expected at least one size");
    const auto& wsds = config.run.wsds_chinchilla;
    if (config.run.type == "wsds_chinchilla") {
        if (wsds.chinchilla_multiple < 0.5 || !is_power_of_two(wsds.chinchilla_multiple)) {
            throw ConfigError("run.chinchilla_multiple",
                              "expected a power of two >= 0.5 (0.5, 1, 2, 4, ...), got " +
                                  format_number(wsds.chinchilla_multiple));
        }
    } else {
        const auto& lev = config.run.levanter;
        if (!lev.global_batch_size) {
            throw ConfigError("run.global_batch_size", "required with run.type: levanter");
        }
        if (!lev.num_train_steps) {
            throw ConfigError("run.num_train_steps", "required with run.type: levanter");
        }
        if (*lev.global_batch_size % config.sequence_length != 0) {
            throw ConfigError("run.global_batch_size", "expected a multiple of sequence_length (" +
                                                           std::to_string(config.sequence_length) +
                                                           "), got " +
                                                           std::to_string(*lev.global_batch_size));
        }
        if (lev.cycles && lev.cycle_length) {
            throw ConfigError("run.cycles", "set either cycles or cycle_length, not both");
        }
    }
    if (config.model.rank_microbatch_size &&
        *config.model.rank_microbatch_size % config.sequence_length != 0) {
        throw ConfigError("model.rank_microbatch_size",
                          "expected a multiple of sequence_length (" +
                              std::to_string(config.sequence_length) + "), got " +
                              std::to_string(*config.model.rank_microbatch_size));
    }
    if (config.trainer.hard_stop && config.trainer.hard_stop->value == 0) {
        throw ConfigError("trainer.hard_stop.value", "expected a number > 0, got 0");
    }
    if (config.trainer.max_duration && config.trainer.max_duration->value == 0) {
        throw ConfigError("trainer.max_duration.value", "expected a number > 0, got 0");
    }
    validate_tokenizer(config.tokenizer, "tokenizer");
}

}  // namespace

YAML::Node load_yaml_file(const std::string& path) {
    std::vector<fs::path> chain;
    return parse_file(path, "", chain);
}

LadderConfig load_config(const std::optional<std::string>& file,
                         const std::vector<Override>& overrides) {
    Sources sources;
    YAML::Node root = encode(LadderConfig{});
    if (file) {
        const YAML::Node from_file = load_yaml_file(*file);
        if (!from_file.IsNull()) {
            if (!from_file.IsMap()) {
                throw UsageError("config file '" + *file + "': expected a mapping of keys, got " +
                                 describe_node(from_file));
            }
            root = merged(root, from_file, "", *file, sources);
        }
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
