#include "train/speed_monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "train/benchmark_summary.hpp"
#include "util/atomic_file.hpp"
#include "util/format.hpp"

namespace ladder::train {

SpeedMonitor::SpeedMonitor(SpeedMonitorSettings settings) : settings_(std::move(settings)) {
    if (settings_.peak_flops > 0) {
        spdlog::info("MFU against {} FLOP/s per device ({})", format_metric(settings_.peak_flops),
                     settings_.peak_source);
    }
}

void SpeedMonitor::pre_train(const TrainProgress& p) {
    first_step_ = p.step + 1;
}

void SpeedMonitor::pre_load_batch(const TrainProgress&) {
    batch_start_ = Clock::now();
}

void SpeedMonitor::pre_step(const TrainProgress&) {
    step_start_ = Clock::now();
}

void SpeedMonitor::post_train_batch(const TrainProgress& p, Metrics& metrics) {
    const auto now = Clock::now();
    const double data_seconds = std::chrono::duration<double>(step_start_ - batch_start_).count();
    const double step_seconds = std::chrono::duration<double>(now - batch_start_).count();
    metrics["throughput/total tokens"] = static_cast<double>(p.tokens_seen);
    if (settings_.chinchilla_tokens > 0) {
        metrics["throughput/chinchilla multiple"] =
            static_cast<double>(p.tokens_seen) / settings_.chinchilla_tokens;
    }
    metrics["throughput/device/data loading (s)"] = data_seconds;
    if (p.step <= first_step_ || step_seconds <= 0)
        return;  // the first step pays for start-up, also after a resume

    step_seconds_.push_back(step_seconds);
    timed_seconds_ += step_seconds;
    timed_tokens_ += settings_.tokens_per_step;
    const double tokens = static_cast<double>(settings_.tokens_per_step);
    const double tps = tokens / step_seconds;
    const double tps_avg = static_cast<double>(timed_tokens_) / timed_seconds_;
    const double flops = static_cast<double>(settings_.flops_per_token);
    metrics["throughput/device/data loading (%)"] = data_seconds / step_seconds;
    metrics["throughput/device/TPS"] = tps;
    metrics["throughput/device/TPS (actual avg)"] = tps_avg;
    metrics["throughput/device/BPS"] = 1.0 / step_seconds;
    metrics["throughput/device/BPS (actual avg)"] =
        static_cast<double>(step_seconds_.size()) / timed_seconds_;
    metrics["throughput/device/flopsPS"] = flops * tps;
    metrics["throughput/device/flopsPS (actual avg)"] = flops * tps_avg;
    if (settings_.peak_flops > 0) {
        const double achieved = flops * tps;
        if (settings_.measure_peak)
            settings_.peak_flops = std::max(settings_.peak_flops, achieved);
        // The ratio first, so the fastest step's MFU is exactly 100.
        metrics["throughput/device/MFU"] = 100.0 * (achieved / settings_.peak_flops);
        metrics["throughput/device/MFU (actual avg)"] =
            100.0 * (flops * tps_avg / settings_.peak_flops);
    }
}

// Between steps, outside the timed window.
void SpeedMonitor::post_step(const TrainProgress& p) {
    if (settings_.measure_peak && p.step % kRemeasureSteps == 0)
        settings_.peak_flops = std::max(settings_.peak_flops, settings_.measure_peak());
}

void SpeedMonitor::post_train(const TrainProgress&) {
    if (!settings_.summary)
        return;
    BenchmarkNumbers numbers;
    numbers.step_seconds = step_seconds_;
    numbers.tokens_per_step = static_cast<double>(settings_.tokens_per_step);
    numbers.devices = settings_.devices;
    numbers.flops_per_token = static_cast<double>(settings_.flops_per_token);
    numbers.peak_flops = settings_.peak_flops;
    numbers.peak_source = settings_.peak_source;
    if (settings_.peak_memory) {
        const PeakMemory memory = settings_.peak_memory();
        numbers.peak_memory_bytes = memory.bytes;
        numbers.memory_label = memory.label;
    }
    std::fputs(benchmark_table(numbers).c_str(), stdout);
    std::fflush(stdout);
    if (settings_.result_file.empty() || numbers.step_seconds.empty())
        return;
    create_output_folder(std::filesystem::path(settings_.result_file).parent_path().string(),
                         "the benchmark result");
    const std::string text = benchmark_json(numbers, settings_.size, settings_.device_type);
    write_text_atomically(settings_.result_file, [&](std::ostream& out) { out << text; });
    spdlog::info("saved the benchmark's medians to {}", settings_.result_file);
}

}  // namespace ladder::train
