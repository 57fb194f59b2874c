#include "ladder/run_configurator.hpp"

#include "ladder/levanter_run.hpp"
#include "ladder/wsds_chinchilla.hpp"
#include "util/format.hpp"

namespace ladder {

namespace {

// One line per run type; run.type offers them in this order.
const std::vector<RunConfigurator>& registry() {
    static const std::vector<RunConfigurator> configurators = {
        wsds_chinchilla_run_configurator(),
        levanter_run_configurator(),
    };
    return configurators;
}

}  // namespace

const RunConfigurator& run_configurator(const std::string& type) {
    for (const RunConfigurator& configurator : registry()) {
        if (configurator.type == type)
            return configurator;
    }
    throw config::ConfigError("run.type", "unknown run type '" + type + "'; choices: " +
                                              join(config::run_type_names(), ", "));
}

namespace config {

std::vector<std::string> run_type_names() {
    std::vector<std::string> names;
    for (const RunConfigurator& configurator : registry())
        names.push_back(configurator.type);
    return names;
}

void validate_run(const LadderConfig& config) {
    run_configurator(config.run.type).validate(config);
}

}  // namespace config

}  // namespace ladder
