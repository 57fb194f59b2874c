// `ladder help-config [PREFIX]`: every config key with its type, default and meaning,
// generated from the same field lists that decode the YAML.
#include <iostream>

#include "cli/common.hpp"

namespace ladder::cli {

namespace {

void help_config(const std::string& prefix) {
    size_t shown = 0;
    for (const auto& doc : config::describe_keys()) {
        if (doc.path.rfind(prefix, 0) != 0)
            continue;
        std::cout << doc.path << "  (" << doc.type << ", default " << doc.default_value << ")\n"
                  << "    " << doc.help << "\n";
        ++shown;
    }
    if (shown == 0)
        throw UsageError("no config key starts with '" + prefix + "'");
}

}  // namespace

void register_help_config(CLI::App& app) {
    auto prefix = std::make_shared<std::string>();
    CLI::App* command = app.add_subcommand(
        "help-config", "List every config key with its type, default and meaning");
    command->add_option("prefix", *prefix, "only keys starting with this, e.g. run or trainer.");
    command->callback([prefix] { help_config(*prefix); });
}

}  // namespace ladder::cli
