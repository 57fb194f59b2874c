// OLMo-core's MetricSaverCallback: keeps the latest value of every metric (training and
// evaluation) and writes them as flat JSON, `metrics_step<N>.json` at the plan's
// checkpoint steps and `metrics.json` at the end, in the run's save folder; optionally
// only the metrics matching `metrics_to_capture`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "train/callback.hpp"

namespace ladder::train {

class MetricSaver : public Callback {
  public:
    // `capture`: glob patterns (fnmatch, as OLMo-core) of the metrics to keep; empty: all.
    // `save_interval`: also write the step file every this many steps (when the step's
    // metrics are logged).
    MetricSaver(std::string save_folder, std::vector<std::string> capture,
                std::optional<int64_t> save_interval)
        : save_folder_(std::move(save_folder)),
          capture_(std::move(capture)),
          save_interval_(save_interval) {}

    void log_metrics(const TrainProgress& progress, const Metrics& metrics) override;
    void merge(const Metrics& metrics);

    // Written temp-then-rename; returns the path.
    std::string write_step(int64_t step) const;
    std::string write_final() const;

  private:
    std::string write(const std::string& file) const;

    std::string save_folder_;
    std::vector<std::string> capture_;
    std::optional<int64_t> save_interval_;
    Metrics latest_;
};

}  // namespace ladder::train
