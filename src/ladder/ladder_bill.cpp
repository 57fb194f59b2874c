#include "ladder/ladder_bill.hpp"

#include "util/error.hpp"

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

std::vector<BillRow> ladder_bill(const config::LadderConfig& config, std::optional<double> mfu,
                                 const SavedMfu& saved_mfu) {
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
            plan_memory(plan.model, plan.batch, device, config.trainer.activation_checkpointing);
        if (mfu) {
            row.mfu = *mfu;
            row.mfu_source = "--mfu";
        } else if (const std::optional<double> saved = saved_mfu(size)) {
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
