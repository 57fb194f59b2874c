// Every logged metric as a TensorBoard scalar (tag = the metric's name, x = the step), in
// event files under <run folder>/tensorboard/: what TensorBoard reads and what
// `wandb sync --sync-tensorboard` uploads.
#pragma once

#include <optional>
#include <string>

#include "io/tfevents.hpp"
#include "train/callback.hpp"

namespace ladder::train {

class TensorBoardLogger : public Callback {
  public:
    explicit TensorBoardLogger(std::string run_folder);

    void pre_train(const TrainProgress& progress) override;
    // One event per step: each finite metric, and `tokens` (tokens seen), so the tokens of
    // any step can be read off beside its metrics. The first opens a new event file, also
    // when resuming (event files are never appended to; TensorBoard reads every file in the
    // folder in the order of their names, by time), which then starts by purging the steps
    // after the checkpoint that an earlier run had logged. A run that logs nothing (started
    // again after its last step) leaves no file.
    void log_metrics(const TrainProgress& progress, const Metrics& metrics) override;
    void post_train(const TrainProgress& progress) override;

  private:
    std::string folder_;
    int64_t start_step_ = 0;
    std::optional<io::EventFileWriter> writer_;
};

}  // namespace ladder::train
