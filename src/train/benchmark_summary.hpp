// The table `ladder benchmark` ends with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ladder::train {

struct BenchmarkNumbers {
    std::vector<double> step_seconds;  // timed steps (the first step is excluded)
    double tokens_per_step = 0;        // per device
    int64_t devices = 1;               // data-parallel ranks
    double flops_per_token = 0;
    double peak_flops = 0;    // per device; 0 when unknown
    std::string peak_source;  // where peak_flops comes from
    double peak_memory_bytes = 0;
    std::string memory_label;  // what peak_memory_bytes measures
};

std::string benchmark_table(const BenchmarkNumbers& numbers);

// The table's medians as JSON, for `dry-run --all` to take the MFU from (ladder/ladder_bill.hpp,
// saved_benchmark_mfu): size, device_type, device, devices, timed_steps,
// tokens_per_second (per device), step_seconds, mfu (a fraction, null without a peak),
// peak_memory_bytes.
std::string benchmark_json(const BenchmarkNumbers& numbers, const std::string& size,
                           const std::string& device_type);

}  // namespace ladder::train
