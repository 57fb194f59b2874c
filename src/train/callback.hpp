// Trainer callbacks (OLMo-core's seeds/004): small objects the training loop calls at
// fixed points, each owning one concern (logging, speed, ...). Pure C++: callbacks see
// metrics as host numbers, never tensors.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
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
    // After the optimizer step; add host-side metrics of this step to `metrics`.
    virtual void post_step(const TrainProgress&, Metrics&) {}
    // Every metrics_collect_interval steps, for each buffered step, with all its metrics.
    virtual void log_metrics(const TrainProgress&, const Metrics&) {}
    virtual void post_train(const TrainProgress&) {}
};

class CallbackList {
  public:
    void add(std::unique_ptr<Callback> callback);

    void pre_train(const TrainProgress& p);
    void pre_load_batch(const TrainProgress& p);
    void pre_step(const TrainProgress& p);
    void post_step(const TrainProgress& p, Metrics& metrics);
    void log_metrics(const TrainProgress& p, const Metrics& metrics);
    void post_train(const TrainProgress& p);

  private:
    std::vector<std::unique_ptr<Callback>> callbacks_;  // sorted by priority, stable
};

}  // namespace ladder::train
