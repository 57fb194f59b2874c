// Entry points of libladder_torch.so, the part of ladder that links LibTorch. The
// executable dlopens it for commands that need tensors (see cli/modules.hpp). Training one
// rung is wired here, top to bottom: machine, data, process group, train module,
// callbacks, trainer.
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "config/fields.hpp"
#include "config/ladder_config.hpp"
#include "data/data_loader.hpp"
#include "data/instance_source.hpp"
#include "data/token_file.hpp"
#include "dist/backends.hpp"
#include "dist/rank_group.hpp"
#include "ladder/memory_plan.hpp"
#include "ladder/run_plan.hpp"
#ifdef LADDER_CUDA_FUSED
#include "cuda/kernels.hpp"
#endif
#include "hf/hf_request.hpp"
#include "io/checkpoint_dir.hpp"
#include "io/run_discovery.hpp"
#include "train/callbacks.hpp"
#include "train/downstream_evaluator.hpp"
#include "train/eval_request.hpp"
#include "train/hf_weights.hpp"
#include "train/lm_evaluator.hpp"
#include "train/metric_saver.hpp"
#include "train/runtime.hpp"
#include "train/trainer.hpp"
#include "train/transformer_train_module.hpp"
#include "util/format.hpp"
#include "util/log.hpp"
#include "util/stop_request.hpp"

namespace {

using namespace ladder;

std::vector<std::string> training_files(const config::DataConfig& data) {
    if (data.paths.empty()) {
        throw UsageError(
            "data.paths: no training files configured (set data.paths to token files or "
            "globs)");
    }
    return data::expand_paths(data.paths);
}

// The memory plan of one rank of this launch on the device it trains on: the data-parallel
// mode (trainer.data_parallel.type, or the cheapest that fits) and the recomputed blocks.
MemoryPlan plan_rank_memory(const config::LadderConfig& config, const RunPlan& plan,
                            const dist::LaunchEnv& launch, const c10::Device& device) {
    BatchPlan batch = plan.batch;
    batch.num_devices = launch.world_size;
    const DeviceKind kind = classify_device(device.is_cpu() ? "cpu" : config.device_type);
    const config::ActivationCheckpointingConfig& ac = config.trainer.activation_checkpointing;
    const config::DataParallelConfig& dp = config.trainer.data_parallel;
    // One process has nobody to shard with: it trains replicated whatever the config says.
    const std::string type = launch.distributed() ? dp.type : "ddp";
    return plan_memory(plan.model, batch, kind, ac, type,
                       dp.shard_degree.value_or(launch.local_world_size));
}

void set_data_parallel(train::TransformerTrainModuleSettings& settings,
                       const config::DataParallelConfig& config, const MemoryPlan& memory,
                       const dist::LaunchEnv& launch, const c10::Device& device) {
    settings.data_parallel = memory.layout.data_parallel;
    if (settings.data_parallel == "hsdp") {
        settings.shard_degree = memory.layout.shard_degree;
        if (launch.world_size % settings.shard_degree != 0) {
            throw config::ConfigError("trainer.data_parallel.shard_degree",
                                      "expected a divisor of the " +
                                          std::to_string(launch.world_size) + " ranks, got " +
                                          std::to_string(settings.shard_degree));
        }
    }
    const auto dtype = [](const std::string& name) {
        return name == "bfloat16" ? at::kBFloat16 : at::kFloat;
    };
    settings.param_dtype = config.param_dtype == "auto"
                               ? (device.is_cuda() ? at::kBFloat16 : at::kFloat)
                               : dtype(config.param_dtype);
    settings.reduce_dtype = dtype(config.reduce_dtype);
}

std::string describe_data_parallel(const train::TransformerTrainModuleSettings& settings,
                                   const dist::LaunchEnv& launch,
                                   const train::TransformerTrainModule& module) {
    if (!launch.distributed()) {
        return fmt::format("one process holding {} weights with their gradients and AdamW moments",
                           with_commas(module.held_parameter_elements()));
    }
    std::string mode = "ddp: replicated on every rank";
    if (settings.data_parallel == "fsdp")
        mode = fmt::format("fsdp: state sharded over {} ranks", launch.world_size);
    if (settings.data_parallel == "hsdp") {
        mode = fmt::format("hsdp: state sharded over groups of {} ranks, {} replicas",
                           settings.shard_degree, launch.world_size / settings.shard_degree);
    }
    return fmt::format("{}, each rank holding {} weights with their gradients and AdamW moments",
                       mode, with_commas(module.held_parameter_elements()));
}

// Trains one planned rung as one rank of `launch`; returns the process exit code: 0, or
// kExitRequeue after a stop signal.
int train_rung(const config::LadderConfig& config, const RunPlan& plan,
               const dist::LaunchEnv& launch) {
    const bool main_rank = launch.rank == 0;
    log::set_rank(launch.rank, launch.world_size);
    // Past a file size limit (ulimit -f) a write fails with EFBIG, reported with the file's
    // name, instead of the signal killing the process without a word.
    std::signal(SIGXFSZ, SIG_IGN);
    const c10::Device device = train::choose_device(config.trainer.device, launch.local_rank);
    train::keep_freed_memory();
    const int threads = train::configure_threads(config.trainer.threads, launch.local_world_size);
#ifdef LADDER_CUDA_FUSED
    cuda::set_kernels_enabled(config.trainer.fused_kernels);
#endif

    // Data first: a bad file should fail before any model is built.
    const int64_t vocab = *config.tokenizer.vocab_size;
    data::InstanceSource source(training_files(config.data), plan.batch.sequence_length,
                                data::token_dtype_rule(config.data.dtype, vocab));
    source.validate(vocab);
    data::DataLoader loader(source, plan.batch.instances(), launch.rank, launch.world_size,
                            static_cast<uint64_t>(config.seed));
    std::unique_ptr<dist::RankGroup> group;
    if (launch.distributed()) {
        group = std::make_unique<dist::RankGroup>(
            launch, device, config.backend,
            std::chrono::seconds(config.trainer.dist_timeout_seconds));
    }
    if (main_rank && !config.trainer.no_checkpoints) {
        std::filesystem::create_directories(plan.save_folder);
        log::add_file(plan.save_folder + "/train.log");
    }

    train::TransformerTrainModuleSettings module_settings;
    module_settings.seed = static_cast<uint64_t>(config.seed);
    module_settings.z_loss_multiplier = config.trainer.z_loss_multiplier;
    module_settings.max_grad_norm = config.trainer.max_grad_norm;
    const MemoryPlan memory = plan_rank_memory(config, plan, launch, device);
    module_settings.recomputed_blocks = memory.layout.recomputed;
    set_data_parallel(module_settings, config.trainer.data_parallel, memory, launch, device);
    train::TransformerTrainModule module(plan, module_settings, device, group.get());
    spdlog::info("training {} ({} non-embedding params) on {} with {} thread{}", plan.run_name,
                 format_count(static_cast<double>(plan.num_non_embedding_params)), device.str(),
                 threads, threads == 1 ? "" : "s");
    spdlog::info("{}; activation checkpointing {}: {} of {} blocks recomputed{}",
                 describe_data_parallel(module_settings, launch, module),
                 memory.layout.activation_checkpointing, memory.layout.recomputed_count(),
                 plan.model.n_layers,
                 memory.device_bytes > 0
                     ? fmt::format("; planned memory {:.1f} GiB of {:.1f} GiB per device",
                                   memory.terms.total() / double(int64_t{1} << 30),
                                   memory.device_bytes / double(int64_t{1} << 30))
                     : "");
    if (!memory.fits)
        spdlog::warn("{} may not fit in device memory: {}", plan.run_name, memory.advice);
    if (device.is_cpu()) {
        const std::string blas = train::blas_library();
        spdlog::info("BLAS {}", blas);
        if (train::is_reference_blas(blas)) {
            spdlog::warn(
                "LibTorch is calling the reference BLAS ({}), which runs matmuls ~60x slower "
                "than OpenBLAS. Install libopenblas0-openmp (scripts/setup.sh does) so it "
                "becomes the selected BLAS.",
                blas);
        }
    }
    if (group) {
        spdlog::info(
            "{} data-parallel rank{} ({}, {}); each reads {} of the {} instances of a step",
            with_commas(launch.world_size), launch.world_size == 1 ? "" : "s", launch.source,
            group->backend(), with_commas(loader.rank_batch_instances()),
            with_commas(plan.batch.instances()));
    }
    train::TrainerSettings settings = train::trainer_settings(plan, config.trainer, main_rank);
    spdlog::info(
        "data {} instances of {} tokens; {} instances per step in {} micro-batch(es); {} "
        "steps",
        with_commas(source.num_instances()), with_commas(plan.batch.sequence_length),
        with_commas(plan.batch.instances()), with_commas(plan.batch.grad_accum_steps),
        with_commas(settings.max_steps));

    train::Trainer trainer(std::move(settings), loader, module,
                           train::build_callbacks({config, plan, launch, module, loader}));
    const bool finished = trainer.fit();  // an error keeps train.log open for its message
    log::remove_files();
    return finished ? 0 : kExitRequeue;
}

// Evaluates saved checkpoints of one rung as one rank of `launch` (`ladder eval`): each
// step's checkpoint loaded and verified, evaluated as the in-loop evaluators do, and its
// eval/ metrics merged into metrics_step<N>.json by rank 0.
int eval_rung(const config::LadderConfig& config, const RunPlan& plan,
              const dist::LaunchEnv& launch, const train::EvalRequest& request) {
    log::set_rank(launch.rank, launch.world_size);
    std::signal(SIGXFSZ, SIG_IGN);
    const c10::Device device = train::choose_device(config.trainer.device, launch.local_rank);
    train::configure_threads(config.trainer.threads, launch.local_world_size);
#ifdef LADDER_CUDA_FUSED
    cuda::set_kernels_enabled(config.trainer.fused_kernels);
#endif
    std::unique_ptr<dist::RankGroup> group;
    if (launch.distributed()) {
        group = std::make_unique<dist::RankGroup>(
            launch, device, config.backend,
            std::chrono::seconds(config.trainer.dist_timeout_seconds));
    }
    train::TransformerTrainModuleSettings module_settings;
    module_settings.seed = static_cast<uint64_t>(config.seed);
    const MemoryPlan memory = plan_rank_memory(config, plan, launch, device);
    set_data_parallel(module_settings, config.trainer.data_parallel, memory, launch, device);
    train::TransformerTrainModule module(plan, module_settings, device, group.get());

    std::unique_ptr<train::LMEvaluator> lm;
    if (request.lm)
        lm = train::make_lm_evaluator(config, plan, launch, module, {});
    std::unique_ptr<train::DownstreamEvaluator> downstream;
    if (!request.tasks.empty()) {
        downstream =
            train::make_downstream_evaluator(config, plan, launch, module, {}, request.tasks);
    }
    for (const int64_t step : request.steps) {
        module.load_checkpoint(io::checkpoint_dir(plan.save_folder, step));
        train::Metrics results;
        if (lm)
            results = lm->evaluate();
        if (downstream) {
            const train::Metrics m = downstream->evaluate();
            results.insert(m.begin(), m.end());
        }
        train::Metrics metrics;
        for (const auto& [name, value] : results) {
            if (name.rfind("eval/", 0) == 0)
                metrics[name] = value;
        }
        if (launch.rank != 0)
            continue;
        const std::string file =
            (std::filesystem::path(plan.save_folder) / io::metrics_file_name(step)).string();
        train::merge_metrics_file(file, metrics);
        spdlog::info("step {}:{}", step, train::eval_summary(metrics));
        spdlog::info("merged {} metric{} into {}", metrics.size(), metrics.size() == 1 ? "" : "s",
                     file);
    }
    return 0;
}

// One process on the CPU holding the whole model: what export and import work on.
std::unique_ptr<train::TransformerTrainModule> whole_model_on_cpu(const RunPlan& plan) {
    train::TransformerTrainModuleSettings settings;
    return std::make_unique<train::TransformerTrainModule>(plan, settings, c10::Device(c10::kCPU),
                                                           nullptr);
}

// `ladder import`: the HF folder's weights as the step-0 checkpoint of a run (fresh
// optimizer moments), which trainer.load_path starts from.
void import_weights(const RunPlan& plan, const hf::ImportRequest& request) {
    const auto module = whole_model_on_cpu(plan);
    train::read_hf_weights(request.hf_folder, module->model());
    train::CheckpointWriter writer(request.save_folder, false);
    writer.save(module->checkpoint(train::TrainerState{}, request.config_json, false, false));
}

}  // namespace

extern "C" {

// JSON: {"torch_version", "cpu_threads", "cuda_devices", "gloo", "nccl"}.
__attribute__((visibility("default"))) const char* ladder_torch_runtime_info() {
    static std::string text;
    nlohmann::json info;
    info["torch_version"] = TORCH_VERSION;
    info["cpu_threads"] = at::get_num_threads();
    info["cuda_devices"] = static_cast<int>(torch::cuda::device_count());
#ifdef LADDER_GLOO
    info["gloo"] = true;
#else
    info["gloo"] = false;
#endif
#ifdef USE_C10D_NCCL
    info["nccl"] = true;
#else
    info["nccl"] = false;
#endif
    text = info.dump();
    return text.c_str();
}

// Trains one planned rung as one rank of `launch`; returns the process exit code. Errors
// are thrown as ladder::UsageError (bad data, device) or std::exception; the executable and
// this module share libladder_core, so the caller catches them like its own.
__attribute__((visibility("default"))) int ladder_torch_train(
    const ladder::config::LadderConfig* config, const ladder::RunPlan* plan,
    const ladder::dist::LaunchEnv* launch) {
    return train_rung(*config, *plan, *launch);
}

// Evaluates checkpoints of one rung as one rank of `launch` (`ladder eval`); errors as for
// ladder_torch_train.
__attribute__((visibility("default"))) int ladder_torch_eval(
    const ladder::config::LadderConfig* config, const ladder::RunPlan* plan,
    const ladder::dist::LaunchEnv* launch, const ladder::train::EvalRequest* request) {
    return eval_rung(*config, *plan, *launch, *request);
}

// `ladder export` and `ladder import`; errors as for ladder_torch_train.
__attribute__((visibility("default"))) void ladder_torch_export(
    const ladder::RunPlan* plan, const ladder::hf::ExportRequest* request) {
    train::export_checkpoint_weights(*plan, *request);
}

__attribute__((visibility("default"))) void ladder_torch_import(
    const ladder::RunPlan* plan, const ladder::hf::ImportRequest* request) {
    import_weights(*plan, *request);
}

}  // extern "C"
