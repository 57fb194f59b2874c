#include "ladder/batch_plan.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace ladder {

namespace {

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Python's round(x): half to even.
int64_t py_round(double x) {
    return static_cast<int64_t>(std::nearbyint(x));
}

}  // namespace

DeviceKind classify_device(const std::string& device_type) {
    const std::string name = lower(device_type);
    const auto has = [&](const char* part) { return name.find(part) != std::string::npos; };
    DeviceKind kind;
    if (name == "cpu") {
        kind.is_cpu = true;
        kind.name = "cpu";
        return kind;
    }
    constexpr int64_t MiB = int64_t{1} << 20;
    if (has("b200")) {
        kind.memory_bytes = 183359 * MiB;
        kind.name = "B200";
    } else if (has("h200")) {
        kind.memory_bytes = 143771 * MiB;
        kind.name = "H200";
    } else if (has("h100") && has("nvl")) {
        kind.memory_bytes = 95830 * MiB;
        kind.name = "H100 NVL";
    } else if (has("h100")) {
        kind.memory_bytes = 81559 * MiB;
        kind.name = "H100 80GB";
    } else if (has("40gb")) {
        kind.memory_bytes = 40960 * MiB;
        kind.name = "40 GB GPU";
    } else if (has("a100")) {
        kind.memory_bytes = 81920 * MiB;
        kind.name = "A100 80GB";
    } else {
        kind.memory_bytes = 81920 * MiB;
        kind.name = "80 GB GPU";
    }
    if (has("b200"))
        kind.microbatch_factor = 2.0;
    if (has("40gb"))
        kind.microbatch_factor = 0.5;
    if (has("b200")) {
        kind.peak_flops = 2.25e15;
    } else if (has("h100") && has("nvl")) {
        kind.peak_flops = 835.5e12;
    } else if (has("h100") && has("pcie")) {
        kind.peak_flops = 756.5e12;
    } else if (has("h100") || has("h200")) {
        // The H200 is the H100 SXM chip with more memory: the same bf16 peak. (OLMo-core's
        // table has no H200 and would take the A100's 312 TFLOP/s, tripling its MFU.)
        kind.peak_flops = 989.5e12;
    } else {
        kind.peak_flops = 312e12;
    }
    return kind;
}

int64_t default_rank_microbatch_size(double approx_params, const DeviceKind& device,
                                     int64_t sequence_length) {
    int64_t instances_of_4096;
    if (approx_params <= 100e6) {
        instances_of_4096 = 4;
    } else if (approx_params <= 190e6) {
        instances_of_4096 = 16;
    } else if (approx_params <= 370e6) {
        instances_of_4096 = 12;
    } else if (approx_params <= 760e6) {
        instances_of_4096 = 10;
    } else if (approx_params <= 1e9) {
        instances_of_4096 = 8;
    } else if (approx_params <= 3e9) {
        instances_of_4096 = 4;
    } else {
        instances_of_4096 = 2;
    }
    const auto tokens = static_cast<int64_t>(static_cast<double>(instances_of_4096 * 4096) *
                                             device.microbatch_factor);
    return std::max<int64_t>(1, tokens / sequence_length) * sequence_length;
}

int64_t minimal_num_devices(double approx_params, const DeviceKind& device, int64_t max_devices) {
    if (device.is_cpu)
        return 1;
    const int64_t olmo_mesh = approx_params < 13e9 ? 8 : 32;
    if (approx_params <= 1e9)
        return std::min(olmo_mesh, max_devices);
    return olmo_mesh;
}

bool BatchPlan::far_from_target() const {
    return std::fabs(static_cast<double>(global_batch_size - target_batch_size)) /
               static_cast<double>(target_batch_size) >
           0.1;
}

BatchPlan plan_batch(int64_t target_batch_size, int64_t rank_microbatch_size, int64_t min_devices,
                     int64_t max_devices, int64_t sequence_length) {
    BatchPlan plan;
    plan.target_batch_size = target_batch_size;
    plan.sequence_length = sequence_length;
    // A target below one micro-batch shrinks the micro-batch, in whole instances.
    const int64_t r = std::max(sequence_length, std::min(rank_microbatch_size, target_batch_size) /
                                                    sequence_length * sequence_length);
    const double target = static_cast<double>(target_batch_size);

    const int64_t per_step_at_min = r * min_devices;
    int64_t batch = std::max<int64_t>(1, py_round(target / static_cast<double>(per_step_at_min))) *
                    per_step_at_min;
    const int64_t accum_at_min = batch / per_step_at_min;
    const int64_t expansion = std::min(max_devices / min_devices, accum_at_min);
    plan.num_devices = min_devices * expansion;
    plan.dp_world_size = min_devices * expansion;
    const int64_t per_step = r * plan.dp_world_size;
    batch =
        std::max<int64_t>(1, py_round(static_cast<double>(batch) / static_cast<double>(per_step))) *
        per_step;

    plan.global_batch_size = batch;
    plan.rank_microbatch_size = r;
    plan.grad_accum_steps = batch / per_step;
    return plan;
}

std::optional<BatchPlan> spread_over(const BatchPlan& plan, int64_t devices) {
    const int64_t micro_batches = plan.global_batch_size / plan.rank_microbatch_size;
    if (devices < 1 || micro_batches % devices != 0)
        return std::nullopt;
    BatchPlan spread = plan;
    spread.num_devices = devices;
    spread.dp_world_size = devices;
    spread.grad_accum_steps = micro_batches / devices;
    return spread;
}

}  // namespace ladder
