// `ladder train SIZE` and `ladder benchmark SIZE`: plan the rung here, then hand it to the
// LibTorch module (loaded only now, so planning commands never pay for LibTorch).
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/common.hpp"
#include "cli/local_launcher.hpp"
#include "cli/modules.hpp"
#include "cli/prepare_tasks.hpp"
#include "config/benchmark_mode.hpp"
#include "dist/launch_env.hpp"
#include "ladder/batch_plan.hpp"
#include "util/format.hpp"

namespace ladder::cli {

namespace {

struct TrainOptions {
    std::string size;
    std::optional<int> nproc_per_node;
};

// The command line without --nproc-per-node, for the workers.
std::vector<std::string> worker_arguments(const std::vector<std::string>& args) {
    std::vector<std::string> kept;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--nproc-per-node")
            ++i;
        else if (args[i].rfind("--nproc-per-node=", 0) != 0)
            kept.push_back(args[i]);
    }
    return kept;
}

// The plan of `size` for `world_size` processes. On GPUs the ladder's max_devices plans
// the mesh, and the launch must match it (as OLMo-core checks). On the CPU the processes are
// the devices: any number that divides the step's micro-batches trains the same global
// batch, with less gradient accumulation.
RunPlan plan_for_launch(const config::LadderConfig& config, const std::string& size,
                        int64_t world_size, const std::string& source) {
    RunPlan plan = plan_run(config, size);
    if (classify_device(config.device_type).is_cpu) {
        if (const auto spread = spread_over(plan.batch, world_size)) {
            plan.batch = *spread;
            return plan;
        }
        const int64_t micro_batches =
            plan.batch.global_batch_size / plan.batch.rank_microbatch_size;
        std::vector<std::string> counts;
        for (int64_t n = 1; n <= micro_batches; ++n) {
            if (micro_batches % n == 0)
                counts.push_back(std::to_string(n));
        }
        throw UsageError("size " + size + " trains " + std::to_string(micro_batches) +
                         " micro-batch(es) per step, which " + std::to_string(world_size) +
                         " process(es) cannot share evenly: launch one of " + join(counts, ", ") +
                         " (--nproc-per-node)");
    }
    const int64_t devices = plan.batch.num_devices;
    if (devices != world_size) {
        throw UsageError("size " + size + " trains on " + std::to_string(devices) +
                         " device(s) but " + std::to_string(world_size) + " process(es) " +
                         (source == "single" ? "were started" : "were launched (" + source + ")") +
                         ": launch " + std::to_string(devices) + " (--nproc-per-node " +
                         std::to_string(devices) + ", or srun --ntasks " + std::to_string(devices) +
                         ")");
    }
    return plan;
}

void train(const TrainOptions& options, const CommonOptions& common, bool benchmark) {
    config::LadderConfig config = load_ladder(common);
    if (benchmark)
        config::apply_benchmark_mode(config);
    const dist::LaunchEnv launch = dist::detect_launch();
    if (options.nproc_per_node) {
        if (*options.nproc_per_node < 1) {
            throw UsageError("--nproc-per-node: expected 1 or more workers, got " +
                             std::to_string(*options.nproc_per_node));
        }
        if (launch.source != "single") {
            throw UsageError("--nproc-per-node: this process is already rank " +
                             std::to_string(launch.rank) + " of a " + launch.source + " launch");
        }
        plan_for_launch(config, options.size, *options.nproc_per_node, "--nproc-per-node");
        throw ExitCode{run_local_workers(*options.nproc_per_node, worker_arguments(common.args))};
    }
    const RunPlan plan = plan_for_launch(config, options.size, launch.world_size, launch.source);
    if (launch.rank == 0)
        print_warnings(plan);
    const auto& downstream = config.trainer.callbacks.downstream_evaluator;
    prepare_tasks_first(config, common, launch, downstream.enabled && !config.trainer.no_evals);
    using TrainEntry = int (*)(const config::LadderConfig*, const RunPlan*, const dist::LaunchEnv*);
    const auto entry =
        reinterpret_cast<TrainEntry>(module_symbol("libladder_torch.so", "ladder_torch_train"));
    if (const int code = entry(&config, &plan, &launch); code != 0)
        throw ExitCode{code};
}

void register_one(CLI::App& app, CommonOptions& common, const char* name, const std::string& help,
                  bool benchmark) {
    auto options = std::make_shared<TrainOptions>();
    CLI::App* command = app.add_subcommand(name, help);
    command->add_option("size", options->size, "model size, one of the ladder's sizes")->required();
    command->add_option("--nproc-per-node", options->nproc_per_node,
                        "start this many data-parallel workers on this machine (like torchrun)");
    add_config_option(command, common);
    command->callback([options, &common, benchmark] { train(*options, common, benchmark); });
}

}  // namespace

void register_train(CLI::App& app, CommonOptions& common) {
    register_one(app, common, "train",
                 "Train one size of the ladder on its planned batch, schedule and duration", false);
    register_one(app, common, "benchmark",
                 "Train one size for " + std::to_string(config::kBenchmarkHardStopSteps) +
                     " steps (or trainer.hard_stop) without checkpoints or evals, then print "
                     "tokens/s, step time, MFU and peak memory",
                 true);
}

}  // namespace ladder::cli
