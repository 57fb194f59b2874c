// A fixed-hyperparameter run on Levanter's cyclic schedule: peak LR, batch and number of
// steps come from the config; warmup, decay and cycles follow Levanter's rules.
#pragma once

#include "ladder/run_configurator.hpp"

namespace ladder {

RunConfigurator levanter_run_configurator();

}  // namespace ladder
