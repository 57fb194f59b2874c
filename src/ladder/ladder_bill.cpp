#include "ladder/ladder_bill.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/format.hpp"
#include "util/input_file.hpp"

namespace ladder {

double default_mfu(double approx_params) {
    if (approx_params <= 100e6)
        return 0.20;
    if (approx_params <= 400e6)
        return 0.30;
    if (approx_params <= 1.5e9)
        return 0.35;
    if (approx_params <= 5e9)
        return 0.40;
    return 0.45;
}

std::string benchmark_result_path(const config::LadderConfig& config, const std::string& size) {
    return config::ladder_dir(config) + "/benchmarks/" + size + ".json";
}

std::optional<double> saved_benchmark_mfu(const config::LadderConfig& config,
                                          const std::string& size) {
    const std::string path = benchmark_result_path(config, size);
    const DeviceKind device = classify_device(config.device_type);
    if (device.is_cpu || !std::filesystem::exists(path))
        return std::nullopt;
    try {
        const nlohmann::json json =
            nlohmann::json::parse(read_input_file(path, "benchmark result", 1 << 20));
        if (json.at("device").get<std::string>() != device.name || json.at("mfu").is_null())
            return std::nullopt;
        const double mfu = json.at("mfu").get<double>();
        if (!(mfu > 0 && mfu <= 1))
            throw std::runtime_error("mfu " + std::to_string(mfu) + " is not in (0, 1]");
        return mfu;
    } catch (const std::exception& e) {
        spdlog::warn("ignoring benchmark result '{}': {}", path, first_line(e.what()));
        return std::nullopt;
    }
}

std::vector<BillRow> ladder_bill(const config::LadderConfig& config, std::optional<double> mfu) {
    const DeviceKind device = classify_device(config.device_type);
    std::vector<BillRow> rows;
    for (const std::string& size : config.sizes) {
        BillRow row;
        row.size = size;
        RunPlan plan;
        try {
            plan = plan_run(config, size);
        } catch (const UsageError& e) {
            row.error = e.what();
            rows.push_back(row);
            continue;
        }
        row.num_params = plan.num_params;
        row.batch = plan.batch;
        row.steps = plan.last_step();
        row.tokens = row.steps * plan.batch.global_batch_size;
        row.flops = static_cast<double>(plan.model.flops_per_token(plan.batch.sequence_length)) *
                    static_cast<double>(row.tokens);
        row.memory =
            plan_memory(plan.model, plan.batch, device, config.trainer.activation_checkpointing,
                        config.trainer.data_parallel.type);
        if (mfu) {
            row.mfu = *mfu;
            row.mfu_source = "--mfu";
        } else if (const std::optional<double> saved = saved_benchmark_mfu(config, size)) {
            row.mfu = *saved;
            row.mfu_source = "benchmark";
        } else {
            row.mfu = default_mfu(approx_params(config, size));
            row.mfu_source = "default";
        }
        // Each device does flops / devices at mfu x peak per second, for that many hours.
        if (device.peak_flops > 0)
            row.gpu_hours = row.flops / (row.mfu * device.peak_flops) / 3600.0;
        rows.push_back(row);
    }
    return rows;
}

}  // namespace ladder
