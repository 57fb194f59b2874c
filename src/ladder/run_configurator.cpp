#include "ladder/run_configurator.hpp"

#include <memory>

#include "ladder/levanter_run.hpp"
#include "ladder/wsds_chinchilla.hpp"
#include "util/format.hpp"

namespace ladder {

namespace {

// One line per run type; run.type offers them in this order.
const std::vector<std::unique_ptr<const RunConfigurator>>& registry() {
    static const auto configurators = [] {
        std::vector<std::unique_ptr<const RunConfigurator>> all;
        all.push_back(make_wsds_chinchilla_run_configurator());
        all.push_back(make_levanter_run_configurator());
        return all;
    }();
    return configurators;
}

}  // namespace

const RunConfigurator& run_configurator(const std::string& type) {
    for (const auto& configurator : registry()) {
        if (configurator->type() == type)
            return *configurator;
    }
    throw config::ConfigError("run.type", "unknown run type '" + type + "'; choices: " +
                                              join(config::run_type_names(), ", "));
}

namespace config {

std::vector<std::string> run_type_names() {
    std::vector<std::string> names;
    for (const auto& configurator : registry())
        names.push_back(configurator->type());
    return names;
}

void validate_run(const LadderConfig& config) {
    run_configurator(config.run.type).validate(config);
}

}  // namespace config

}  // namespace ladder
