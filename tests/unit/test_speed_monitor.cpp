// The speed monitor's MFU: against a GPU's fixed peak as it is, and against a CPU's measured
// peak never above 100%, whatever a measurement taken on a busy machine said.
#include <catch2/catch.hpp>
#include <thread>

#include "train/speed_monitor.hpp"

using namespace ladder::train;

namespace {

// Times one step of `seconds` and returns its metrics.
Metrics step(SpeedMonitor& monitor, int64_t number, double seconds) {
    TrainProgress p;
    p.step = number;
    monitor.pre_load_batch(p);
    monitor.pre_step(p);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    Metrics metrics;
    monitor.post_train_batch(p, metrics);
    monitor.post_step(p);
    return metrics;
}

SpeedMonitorSettings settings(double peak) {
    SpeedMonitorSettings s;
    s.tokens_per_step = 1000;
    s.flops_per_token = 1'000'000;  // 1e9 FLOPs a step: ~1e11 FLOP/s at 10 ms a step
    s.peak_flops = peak;
    s.peak_source = "test";
    return s;
}

}  // namespace

TEST_CASE(
    "speed monitor: a measured CPU peak below the run's own speed cannot push MFU past "
    "100%",
    "[speed_monitor]") {
    SpeedMonitorSettings cpu = settings(1e9);  // "measured" while the machine was busy
    int measurements = 0;
    cpu.measure_peak = [&] {
        ++measurements;
        return 1e9;
    };
    SpeedMonitor monitor(cpu);
    CHECK(step(monitor, 1, 0.01).count("throughput/device/MFU") == 0);  // start-up, not timed
    for (int64_t n = 2; n <= 2 * SpeedMonitor::kRemeasureSteps; ++n) {
        const Metrics m = step(monitor, n, 0.01);
        INFO("step " << n);
        CHECK(m.at("throughput/device/MFU") <= 100.0);
        CHECK(m.at("throughput/device/MFU (actual avg)") <= 100.0);
    }
    CHECK(measurements == 2);  // every kRemeasureSteps steps
}

TEST_CASE("speed monitor: the first step after a resume pays for start-up and is not timed",
          "[speed_monitor]") {
    SpeedMonitor monitor(settings(1e15));
    TrainProgress resumed;
    resumed.step = 10;
    monitor.pre_train(resumed);
    CHECK(step(monitor, 11, 0.0).count("throughput/device/TPS") == 0);
    CHECK(step(monitor, 12, 0.0).count("throughput/device/TPS") == 1);
}

TEST_CASE("speed monitor: a GPU's data-sheet peak is used as it is", "[speed_monitor]") {
    SpeedMonitor monitor(settings(1e15));
    step(monitor, 1, 0.0);
    const Metrics m = step(monitor, 2, 0.01);
    // 1e9 FLOPs in >= 10 ms is at most 1e11 FLOP/s: at most 0.01% of 1e15.
    CHECK(m.at("throughput/device/MFU") <= 0.01);
    CHECK(m.at("throughput/device/MFU") > 0.0);
}
