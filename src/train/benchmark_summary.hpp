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

}  // namespace ladder::train
