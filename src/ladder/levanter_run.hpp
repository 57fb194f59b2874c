// A fixed-hyperparameter run on Levanter's cyclic schedule: peak LR, batch and number of
// steps come from the config; warmup, decay and cycles follow Levanter's rules.
#pragma once

#include <memory>

#include "ladder/run_configurator.hpp"

namespace ladder {

std::unique_ptr<RunConfigurator> make_levanter_run_configurator();

}  // namespace ladder
