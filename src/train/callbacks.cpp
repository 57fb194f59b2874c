#include "train/callbacks.hpp"

#include <sys/resource.h>

#include <set>

#include "config/load.hpp"
#include "dist/rank_group.hpp"
#include "ladder/batch_plan.hpp"
#include "ladder/ladder_bill.hpp"
#include "train/checkpointer.hpp"
#include "train/config_saver.hpp"
#include "train/console_logger.hpp"
#include "train/downstream_evaluator.hpp"
#include "train/hf_exporter.hpp"
#include "train/lm_evaluator.hpp"
#include "train/metric_saver.hpp"
#include "train/metrics_jsonl.hpp"
#include "train/runtime.hpp"
#include "train/speed_monitor.hpp"
#include "train/stop_signal.hpp"
#include "train/tensorboard_logger.hpp"
#include "util/terminal.hpp"

#ifdef LADDER_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace ladder::train {

namespace {

PeakMemory peak_memory(const c10::Device& device) {
#ifdef LADDER_TORCH_CUDA
    if (device.is_cuda()) {
        // Index 0 is the aggregate over pool kinds in every LibTorch since 1.x.
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
        return {static_cast<double>(stats.allocated_bytes[0].peak), "peak GPU memory allocated"};
    }
#endif
    (void)device;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return {static_cast<double>(usage.ru_maxrss) * 1024.0, "process max RSS"};
}

SpeedMonitorSettings speed_settings(const RunParts& run) {
    const config::LadderConfig& config = run.config;
    SpeedMonitorSettings speed;
    speed.tokens_per_step = run.plan.batch.global_batch_size / run.launch.world_size;
    speed.flops_per_token = run.module.flops_per_token();
    speed.chinchilla_tokens = static_cast<double>(run.plan.chinchilla_tokens);
    speed.summary = config.trainer.callbacks.speed_monitor.summary;
    speed.result_file = benchmark_result_path(config, run.plan.size);
    speed.size = run.plan.size;
    speed.device_type = config.device_type;
    speed.devices = run.launch.world_size;
    const c10::Device device = run.module.device();
    speed.peak_memory = [device] { return peak_memory(device); };
    if (device.is_cpu()) {
        speed.measure_peak = measure_cpu_matmul_flops;
        speed.peak_flops = speed.measure_peak();
        speed.peak_source = "the best fp32 matmul rate measured on this CPU, at start and every " +
                            std::to_string(SpeedMonitor::kRemeasureSteps) +
                            " steps, or the run's fastest step if higher";
    } else {
        speed.peak_flops = classify_device(config.device_type).peak_flops;
        speed.peak_source = "bf16 data-sheet peak of '" + config.device_type + "'";
    }
    return speed;
}

}  // namespace

CallbackList build_callbacks(const RunParts& run) {
    const config::LadderConfig& config = run.config;
    const config::CallbacksConfig& settings = config.trainer.callbacks;
    const bool main_rank = run.launch.rank == 0;
    const bool writes_folder = !config.trainer.no_checkpoints;
    const std::string& folder = run.plan.save_folder;
    std::set<int64_t> planned_steps;
    for (const auto& checkpoint : run.plan.checkpoints)
        planned_steps.insert(checkpoint.step);

    const std::string config_json = config::to_json_text(config);

    CallbackList callbacks;
    if (writes_folder) {
        callbacks.add(std::make_unique<Checkpointer>(settings.checkpointer, planned_steps, folder,
                                                     config_json, run.module, run.loader,
                                                     run.launch.world_size, main_rank));
    }
    if (settings.lm_evaluator.enabled && !config.trainer.no_evals &&
        !config.data.validation.empty()) {
        callbacks.add(make_lm_evaluator(config, run.plan, run.launch, run.module, planned_steps));
    }
    const config::DownstreamEvaluatorConfig& downstream = settings.downstream_evaluator;
    if (downstream.enabled && !config.trainer.no_evals && !config.data.downstream.empty()) {
        callbacks.add(
            make_downstream_evaluator(config, run.plan, run.launch, run.module, planned_steps, {}));
    }
    if (writes_folder && settings.metric_saver.enabled) {
        callbacks.add(std::make_unique<MetricSaver>(
            folder, settings.metric_saver.metrics_to_capture, planned_steps,
            settings.metric_saver.save_interval, main_rank));
    }
    dist::RankGroup* group = run.module.group();
    callbacks.add(std::make_unique<StopSignalHandler>(
        group ? std::function<bool(bool)>([group](bool flag) { return group->any_rank(flag); })
              : std::function<bool(bool)>()));
    if (!main_rank)
        return callbacks;

    if (settings.console_logger.enabled) {
        ConsoleLoggerSettings console;
        console.log_interval = settings.console_logger.log_interval;
        console.live_progress = settings.console_logger.progress && stdout_is_terminal();
        console.hard_stop = run.plan.last_step() < run.plan.duration_steps;
        callbacks.add(std::make_unique<ConsoleLogger>(console));
    }
    if (settings.speed_monitor.enabled)
        callbacks.add(std::make_unique<SpeedMonitor>(speed_settings(run)));
    if (writes_folder && settings.config_saver.enabled) {
        callbacks.add(std::make_unique<ConfigSaver>(folder, config_json));
    }
    if (writes_folder && settings.hf_exporter.enabled)
        callbacks.add(std::make_unique<HfExporter>(config, run.plan, planned_steps));
    if (writes_folder && settings.metrics_jsonl.enabled)
        callbacks.add(std::make_unique<MetricsJsonl>(folder));
    if (writes_folder && settings.tensorboard.enabled)
        callbacks.add(std::make_unique<TensorBoardLogger>(folder));
    return callbacks;
}

}  // namespace ladder::train
