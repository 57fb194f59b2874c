// Entry points of libladder_torch.so, the part of ladder that links LibTorch. The
// executable dlopens it for commands that need tensors (see cli/torch_module.hpp).
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <nlohmann/json.hpp>

#include <string>

extern "C" {

// JSON: {"torch_version", "cpu_threads", "cuda_devices", "gloo", "nccl"}.
__attribute__((visibility("default"))) const char* ladder_torch_runtime_info() {
    static std::string text;
    nlohmann::json info;
    info["torch_version"] = TORCH_VERSION;
    info["cpu_threads"] = at::get_num_threads();
    info["cuda_devices"] = static_cast<int>(torch::cuda::device_count());
#ifdef USE_C10D_GLOO
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

}  // extern "C"
