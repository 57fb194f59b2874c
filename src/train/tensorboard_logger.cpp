#include "train/tensorboard_logger.hpp"

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace ladder::train {

TensorBoardLogger::TensorBoardLogger(std::string run_folder)
    : folder_((std::filesystem::path(std::move(run_folder)) / "tensorboard").string()) {}

void TensorBoardLogger::pre_train(const TrainProgress& progress) {
    start_step_ = progress.step;
}

void TensorBoardLogger::log_metrics(const TrainProgress& progress, const Metrics& metrics) {
    if (!writer_) {
        writer_.emplace(folder_);
        if (start_step_ > 0)
            writer_->write_session_start(start_step_ + 1);
    }
    std::vector<io::Scalar> scalars;
    scalars.push_back({"tokens", static_cast<float>(progress.tokens_seen)});
    for (const auto& [name, value] : metrics) {
        if (std::isfinite(value))
            scalars.push_back({name, static_cast<float>(value)});
    }
    writer_->write_scalars(progress.step, scalars);
}

void TensorBoardLogger::post_train(const TrainProgress&) {
    writer_.reset();
}

}  // namespace ladder::train
