#include "train/config_saver.hpp"

#include <filesystem>

#include "util/atomic_file.hpp"

namespace ladder::train {

void ConfigSaver::pre_train(const TrainProgress&) {
    std::filesystem::create_directories(save_folder_);
    write_text_atomically(save_folder_ + "/config.json",
                          [&](std::ostream& out) { out << config_json_ << "\n"; });
}

}  // namespace ladder::train
