#include "config/overrides.hpp"

#include <map>
#include <set>

namespace ladder::config {

namespace {

std::string normalize_key(std::string name) {
    const size_t first = name.find_first_not_of(" -");
    const size_t last = name.find_last_not_of(" -");
    name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    for (char& c : name) {
        if (c == '-')
            c = '_';
    }
    return name;
}

bool is_bool_literal(const std::string& text) {
    static const std::set<std::string> literals = {"true",  "false", "True",
                                                   "False", "TRUE",  "FALSE"};
    return literals.count(text) > 0;
}

}  // namespace

SplitArguments split_overrides(const std::vector<std::string>& args) {
    std::set<std::string> top_level;
    std::map<std::string, std::string> types;
    for (const auto& doc : describe_keys()) {
        types[doc.path] = doc.type;
        if (doc.path.find('.') == std::string::npos)
            top_level.insert(doc.path);
    }

    SplitArguments out;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
            out.remaining.push_back(arg);
            continue;
        }
        const size_t equals = arg.find('=');
        const std::string flag = arg.substr(0, equals);
        const std::string key = normalize_key(flag);
        if (!top_level.count(key.substr(0, key.find('.')))) {
            out.remaining.push_back(arg);
            continue;
        }
        Override item{key, "", flag};
        if (equals != std::string::npos) {
            item.value = arg.substr(equals + 1);
        } else {
            const auto type = types.find(key);
            const bool is_bool = type != types.end() && type->second == "boolean";
            const bool has_next = i + 1 < args.size() && args[i + 1].compare(0, 2, "--") != 0;
            if (is_bool) {
                item.value = has_next && is_bool_literal(args[i + 1]) ? args[++i] : "true";
            } else if (has_next) {
                item.value = args[++i];
            } else if (type == types.end()) {
                item.value = "true";  // an unknown key: decoding names it and the closest one
            } else {
                throw UsageError(flag + ": expected a value (" + type->second + ")");
            }
        }
        out.overrides.push_back(item);
    }
    return out;
}

}  // namespace ladder::config
