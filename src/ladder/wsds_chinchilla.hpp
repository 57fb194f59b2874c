// OLMo-core's WSDSChinchillaRunConfigurator (olmo_core/model_ladder/
// wsds_chinchilla_run_configurator.py): batch, LR and duration scaled with N, on a WSD-S
// schedule with a checkpoint before and after each decay.
#pragma once

#include <memory>

#include "ladder/run_configurator.hpp"

namespace ladder {

std::unique_ptr<RunConfigurator> make_wsds_chinchilla_run_configurator();

}  // namespace ladder
