// The ladder's bill: for every size, the plan's batch, devices, steps, tokens and FLOPs, the
// memory plan's layout, and the GPU-hours at a model FLOPs utilization. `dry-run --all`
// prints it; it is what a ladder costs before an allocation is asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"
#include "ladder/memory_plan.hpp"
#include "ladder/run_plan.hpp"

namespace ladder {

struct BillRow {
    std::string size;
    std::string error;  // why this size cannot be planned; the rest is empty then
    int64_t num_params = 0;
    BatchPlan batch;
    int64_t steps = 0;   // the run's last step
    int64_t tokens = 0;  // steps x global batch
    double flops = 0;    // OLMo-core's FLOPs per token (6N + attention) x tokens
    MemoryPlan memory;
    double mfu = 0;
    std::string mfu_source;           // "--mfu", "benchmark", or "default"
    std::optional<double> gpu_hours;  // none on the CPU (no peak FLOP/s)
};

// Where a size's MFU comes from when --mfu is not given: a saved `ladder benchmark` result
// for the size and device type, else this default by approximate size: 20% up to 100M,
// 30% up to 400M, 35% up to 1.5B, 40% up to 5B, 45% above.
double default_mfu(double approx_params);

// Where `ladder benchmark SIZE` (or a train with speed_monitor.summary) saves its medians:
// <dir>/benchmarks/<size>.json, beside the ladder's run folders.
std::string benchmark_result_path(const config::LadderConfig& config, const std::string& size);

// The MFU (a fraction) a saved benchmark result measured for `size` on a GPU of the
// config's device type; nullopt when there is none, it is for another device, or it
// cannot be read (a warning says why).
std::optional<double> saved_benchmark_mfu(const config::LadderConfig& config,
                                          const std::string& size);

// One row per size of the config, in order; `mfu` overrides every size's.
std::vector<BillRow> ladder_bill(const config::LadderConfig& config, std::optional<double> mfu);

}  // namespace ladder
