#include "train/benchmark_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "ladder/batch_plan.hpp"
#include "util/format.hpp"
#include "util/statistics.hpp"

namespace ladder::train {

namespace {

std::string row(const char* name, double median, double p10, double p90, int digits) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-16s %14s %14s %14s\n", name,
                  fixed(median, digits).c_str(), fixed(p10, digits).c_str(),
                  fixed(p90, digits).c_str());
    return line;
}

}  // namespace

std::string benchmark_table(const BenchmarkNumbers& n) {
    if (n.step_seconds.empty())
        return "  no timed steps (the first step is not timed)\n";
    const std::vector<double>& seconds = n.step_seconds;
    // Fast steps are high throughput: the p10 of tokens/s comes from the p90 of step time.
    const double t50 = quantile(seconds, 0.5), t10 = quantile(seconds, 0.1),
                 t90 = quantile(seconds, 0.9);
    const double tps50 = n.tokens_per_step / t50, tps10 = n.tokens_per_step / t90,
                 tps90 = n.tokens_per_step / t10;
    std::string text = "Benchmark over " + std::to_string(seconds.size()) + " timed steps";
    if (n.devices > 1)
        text += ", per device of " + std::to_string(n.devices) + " (rank 0's steps)";
    text += "\n";
    char header[160];
    std::snprintf(header, sizeof header, "  %-16s %14s %14s %14s\n", "", "median", "p10", "p90");
    text += header;
    text += row("tokens/s", tps50, tps10, tps90, 0);
    if (n.devices > 1) {
        const double all = static_cast<double>(n.devices);
        text += row("all ranks tok/s", all * tps50, all * tps10, all * tps90, 0);
    }
    text += row("step time (ms)", 1000 * t50, 1000 * t10, 1000 * t90, 1);
    if (n.peak_flops > 0) {
        const double mfu = 100.0 * n.flops_per_token / n.peak_flops;
        text += row("MFU (%)", mfu * tps50, mfu * tps10, mfu * tps90, 1);
    }
    text +=
        "  peak memory      " + format_gib(n.peak_memory_bytes, 2) + " (" + n.memory_label + ")\n";
    if (n.peak_flops > 0) {
        text += "  MFU against      " + format_metric(n.peak_flops) + " FLOP/s per device (" +
                n.peak_source + ")\n";
    }
    return text;
}

std::string benchmark_json(const BenchmarkNumbers& n, const std::string& size,
                           const std::string& device_type) {
    const double t50 = quantile(n.step_seconds, 0.5);
    const double tps = n.tokens_per_step / t50;
    nlohmann::ordered_json json = {
        {"size", size},
        {"device_type", device_type},
        {"device", classify_device(device_type).name},
        {"devices", n.devices},
        {"timed_steps", n.step_seconds.size()},
        {"tokens_per_second", tps},
        {"step_seconds", t50},
        {"mfu", n.peak_flops > 0 ? nlohmann::ordered_json(n.flops_per_token * tps / n.peak_flops)
                                 : nlohmann::ordered_json(nullptr)},
        {"peak_memory_bytes", n.peak_memory_bytes},
    };
    return json.dump(2) + "\n";
}

}  // namespace ladder::train
