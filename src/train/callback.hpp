// Trainer callbacks, as OLMo-core's (olmo_core/train/callbacks/callback.py, `Callback`):
// small objects the training loop calls at fixed points, each owning one concern
// (checkpoints, evaluation, logs, speed, stop signals). The Trainer names none of them.
// Callbacks see metrics as host numbers, never tensors; they talk to each other only
// through metrics (the metric saver sees the evaluator's results in the step's metrics).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ladder::train {

// Metric name (OLMo-core's, e.g. "train/CE loss") -> value.
using Metrics = std::map<std::string, double>;

struct TrainProgress {
    int64_t step = 0;       // optimizer steps completed
    int64_t max_steps = 0;  // where this run stops
    int64_t tokens_seen = 0;
    int64_t epoch = 0;
    bool resumed = false;     // this run continues from a loaded checkpoint
    std::string stop_reason;  // why the run ends early (a signal); empty while it runs on
};

class Callback {
  public:
    virtual ~Callback() = default;
    // Higher runs earlier; equal priorities keep the order they were added in.
    virtual int priority() const { return 0; }

    virtual void pre_train(const TrainProgress&) {}
    virtual void pre_load_batch(const TrainProgress&) {}
    // The batch is on hand; the forward/backward pass is about to start.
    virtual void pre_step(const TrainProgress&) {}
    // After the optimizer step: add host-side metrics of this step (timings, evaluation).
    virtual void post_train_batch(const TrainProgress&, Metrics&) {}
    // Whether this step's metrics must reach the host now rather than at the collect
    // interval (a metrics file or a checkpoint is due).
    virtual bool wants_metrics(const TrainProgress&) const { return false; }
    // At each metrics collection, for each step since the last, with all its metrics.
    virtual void log_metrics(const TrainProgress&, const Metrics&) {}
    // After the step's metrics are handled: save, remove, check for stop requests.
    virtual void post_step(const TrainProgress&) {}
    // A reason to end the run after this step, or "" to go on.
    virtual std::string stop_reason(const TrainProgress&) { return {}; }
    // At the end of the run, also after a stop (`progress.stop_reason` says why).
    virtual void post_train(const TrainProgress&) {}
};

class CallbackList {
  public:
    void add(std::unique_ptr<Callback> callback);

    void pre_train(const TrainProgress& p);
    void pre_load_batch(const TrainProgress& p);
    void pre_step(const TrainProgress& p);
    void post_train_batch(const TrainProgress& p, Metrics& metrics);
    bool wants_metrics(const TrainProgress& p) const;
    void log_metrics(const TrainProgress& p, const Metrics& metrics);
    void post_step(const TrainProgress& p);
    // Asks every callback, so each sees every step; the first reason wins.
    std::string stop_reason(const TrainProgress& p);
    void post_train(const TrainProgress& p);

  private:
    std::vector<std::unique_ptr<Callback>> callbacks_;  // sorted by priority, stable
};

// When an evaluator runs, as OLMo-core's EvaluatorCallback.post_step decides it
// (olmo_core/train/callbacks/evaluator_callback.py): at the planned steps and every
// `interval` steps, never at steps 0 and 1.
bool evaluation_due(int64_t step, const std::set<int64_t>& planned,
                    const std::optional<int64_t>& interval);

// " name=value" for each eval/ metric of `results`, for the log line of an evaluation.
std::string eval_summary(const Metrics& results);

}  // namespace ladder::train
