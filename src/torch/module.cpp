// Entry points of libladder_torch.so, the part of ladder that links LibTorch. The
// executable dlopens it for commands that need tensors (see cli/torch_module.hpp).
#include <ATen/Parallel.h>
#include <sys/resource.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "config/ladder_config.hpp"
#include "dist/backends.hpp"
#include "ladder/run_plan.hpp"
#include "train/benchmark_summary.hpp"
#include "train/trainer.hpp"
#include "util/stop_request.hpp"

#ifdef LADDER_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

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

// Trains one planned rung as one rank of `launch` (`benchmark`: 100 steps, then the speed
// table on rank 0); returns the
// process exit code: 0, or kExitRequeue after a stop signal. Errors are
// thrown as ladder::UsageError (bad data, device) or std::exception; the executable and
// this module share libladder_core, so the caller catches them like its own.
__attribute__((visibility("default"))) int ladder_torch_train(
    const ladder::config::LadderConfig* config, const ladder::RunPlan* plan, bool benchmark,
    const ladder::dist::LaunchEnv* launch) {
    ladder::train::Trainer trainer(*config, *plan, benchmark, *launch);
    if (!trainer.fit())
        return ladder::kExitRequeue;
    if (!benchmark || launch->rank != 0)
        return 0;
    ladder::train::BenchmarkNumbers numbers;
    numbers.step_seconds = trainer.step_seconds();
    numbers.tokens_per_step = static_cast<double>(trainer.tokens_per_step());
    numbers.devices = launch->world_size;
    numbers.flops_per_token = trainer.flops_per_token();
    numbers.peak_flops = trainer.peak_flops();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    numbers.peak_memory_bytes = static_cast<double>(usage.ru_maxrss) * 1024.0;
    numbers.memory_label = "process max RSS";
#ifdef LADDER_TORCH_CUDA
    if (trainer.device().is_cuda()) {
        // Index 0 is the aggregate over pool kinds in every LibTorch since 1.x.
        const auto stats =
            c10::cuda::CUDACachingAllocator::getDeviceStats(trainer.device().index());
        numbers.peak_memory_bytes = static_cast<double>(stats.allocated_bytes[0].peak);
        numbers.memory_label = "peak GPU memory allocated";
    }
#endif
    std::fputs(ladder::train::benchmark_table(numbers).c_str(), stdout);
    return 0;
}

}  // extern "C"
