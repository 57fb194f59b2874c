// Throughput metrics (OLMo-core's SpeedMonitorCallback, olmo_core/train/callbacks/
// speed_monitor.py): tokens/s, steps/s, MFU and the share of time spent loading data; with
// `summary`, the benchmark table at the end. The first step is not timed (start-up costs).
//
// MFU needs the device's peak. A GPU's comes from its data sheet. A CPU's is measured
// (an fp32 matmul), and a measurement taken while the machine was busy reads low, which
// once put MFU at 678%: so the CPU's peak is re-measured every kRemeasureSteps steps and
// is always the highest of those measurements and of the run's own fastest step, so MFU
// never exceeds 100%.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "train/callback.hpp"

namespace ladder::train {

struct PeakMemory {
    double bytes = 0;
    std::string label;  // what was measured: "process max RSS", "peak GPU memory allocated"
};

struct SpeedMonitorSettings {
    int64_t tokens_per_step = 0;           // this rank's tokens per optimizer step
    int64_t flops_per_token = 0;           // training FLOPs per token
    double chinchilla_tokens = 0;          // tokens of 1xC, for "throughput/chinchilla multiple"
    double peak_flops = 0;                 // per device, for MFU; 0: no MFU
    std::string peak_source;               // where peak_flops comes from, for the log and the table
    std::function<double()> measure_peak;  // re-measures a CPU's peak; empty on GPUs
    bool summary = false;                  // print the benchmark table at the end
    std::string result_file;  // with summary: where its medians are saved as JSON; empty: nowhere
    std::string size, device_type;  // for the saved result
    int64_t devices = 1;            // data-parallel ranks, for the table
    std::function<PeakMemory()> peak_memory;
};

class SpeedMonitor : public Callback {
  public:
    static constexpr int64_t kRemeasureSteps = 50;

    explicit SpeedMonitor(SpeedMonitorSettings settings);
    // First among the callbacks after a step, so an evaluation is not timed as training.
    int priority() const override { return 100; }

    void pre_train(const TrainProgress& p) override;
    void pre_load_batch(const TrainProgress&) override;
    void pre_step(const TrainProgress&) override;
    void post_train_batch(const TrainProgress& p, Metrics& metrics) override;
    void post_step(const TrainProgress& p) override;
    void post_train(const TrainProgress& p) override;

  private:
    using Clock = std::chrono::steady_clock;
    SpeedMonitorSettings settings_;
    Clock::time_point batch_start_, step_start_;
    int64_t first_step_ = 1;  // this process's first step, which pays for start-up
    double timed_seconds_ = 0;
    int64_t timed_tokens_ = 0;
    std::vector<double> step_seconds_;
};

}  // namespace ladder::train
