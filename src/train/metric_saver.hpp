// OLMo-core's MetricSaverCallback (olmo_core/train/callbacks/metric_saver.py): keeps the
// latest value of every metric (training, and evaluation from the evaluator's entries in
// the step's metrics) and writes them as flat JSON, `metrics_step<N>.json` at the plan's
// checkpoint steps (and every save_interval steps) and `metrics.json` at the end of a run
// that finished, in the run's save folder; optionally only the metrics matching
// `metrics_to_capture`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "train/callback.hpp"

namespace ladder::train {

class MetricSaver : public Callback {
  public:
    // `capture`: glob patterns (fnmatch, as OLMo-core) of the metrics to keep; empty: all.
    // `save_steps`: the plan's checkpoint steps; `save_interval`: also every this many steps.
    // Every rank has one, so that all ranks read their metrics at the same steps (a loss that
    // is not finite then stops every rank at once); only `main_rank` writes.
    MetricSaver(std::string save_folder, std::vector<std::string> capture,
                std::set<int64_t> save_steps, std::optional<int64_t> save_interval, bool main_rank)
        : save_folder_(std::move(save_folder)),
          capture_(std::move(capture)),
          save_steps_(std::move(save_steps)),
          save_interval_(save_interval),
          main_rank_(main_rank) {}

    bool wants_metrics(const TrainProgress& progress) const override;
    void log_metrics(const TrainProgress& progress, const Metrics& metrics) override;
    void post_train(const TrainProgress& progress) override;

  private:
    bool due(int64_t step) const;
    void merge(const Metrics& metrics);
    // Written temp-then-rename.
    void write(const std::string& file) const;

    std::string save_folder_;
    std::vector<std::string> capture_;
    std::set<int64_t> save_steps_;
    std::optional<int64_t> save_interval_;
    bool main_rank_;
    Metrics latest_;  // empty until this process logs a step
};

// A metrics file as every writer of them writes it: indented JSON, atomically.
void write_metrics_json(const std::string& path, const nlohmann::json& json);

// Sets `metrics` in the metrics file at `path` (made when missing), its other keys kept, for
// evaluations after training (`ladder eval`). Throws UsageError for a file that is not a
// JSON object.
void merge_metrics_file(const std::string& path, const Metrics& metrics);

}  // namespace ladder::train
