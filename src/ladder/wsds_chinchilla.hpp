// OLMo-core's WSDSChinchillaRunConfigurator (olmo_core/model_ladder/
// wsds_chinchilla_run_configurator.py): batch, LR and duration scaled with N, on a WSD-S
// schedule with a checkpoint before and after each decay.
#pragma once

#include "ladder/run_configurator.hpp"

namespace ladder {

RunConfigurator wsds_chinchilla_run_configurator();

}  // namespace ladder
