// OLMo-core's ConfigSaverCallback (olmo_core/train/callbacks/config_saver.py): the run's
// resolved config as `config.json` in its save folder before the first step, so a run
// folder says how it was trained even before its first checkpoint.
#pragma once

#include <string>

#include "train/callback.hpp"

namespace ladder::train {

class ConfigSaver : public Callback {
  public:
    ConfigSaver(std::string save_folder, std::string config_json)
        : save_folder_(std::move(save_folder)), config_json_(std::move(config_json)) {}

    void pre_train(const TrainProgress&) override;

  private:
    std::string save_folder_;
    std::string config_json_;
};

}  // namespace ladder::train
