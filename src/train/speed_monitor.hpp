// Throughput metrics (OLMo-core's SpeedMonitorCallback): tokens/s, steps/s, MFU and the
// share of time spent loading data. The first step is not timed (start-up costs).
#pragma once

#include <chrono>
#include <vector>

#include "train/callback.hpp"

namespace ladder::train {

struct SpeedMonitorSettings {
    int64_t tokens_per_step = 0;   // this rank's tokens per optimizer step
    int64_t flops_per_token = 0;   // training FLOPs per token
    double peak_flops = 0;         // per device, for MFU
    double chinchilla_tokens = 0;  // 20 * N, for "throughput/chinchilla multiple"
};

class SpeedMonitor : public Callback {
  public:
    explicit SpeedMonitor(SpeedMonitorSettings settings) : settings_(settings) {}
    int priority() const override { return -2; }

    void pre_load_batch(const TrainProgress&) override;
    void pre_step(const TrainProgress&) override;
    void post_step(const TrainProgress& p, Metrics& metrics) override;

    // Seconds per timed step, in order (for the benchmark summary).
    const std::vector<double>& step_seconds() const { return step_seconds_; }

  private:
    using Clock = std::chrono::steady_clock;
    SpeedMonitorSettings settings_;
    Clock::time_point batch_start_, step_start_;
    double timed_seconds_ = 0;
    int64_t timed_tokens_ = 0;
    std::vector<double> step_seconds_;
};

}  // namespace ladder::train
