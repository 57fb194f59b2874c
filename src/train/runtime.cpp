#include "train/runtime.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <link.h>
#include <malloc.h>
#include <torch/cuda.h>

#include <chrono>
#include <climits>
#include <filesystem>

#include "util/cpu_cores.hpp"
#include "util/error.hpp"

namespace ladder::train {

c10::Device choose_device(const std::string& setting, int64_t local_rank) {
    const bool cuda = torch::cuda::is_available();
    if (setting == "cuda" && !cuda) {
        throw UsageError(
            "trainer.device: cuda requested, but no CUDA device is visible to this "
            "LibTorch");
    }
    if (setting == "cuda" || (setting == "auto" && cuda)) {
        const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
        if (local_rank >= count) {
            throw UsageError("local rank " + std::to_string(local_rank) +
                             " has no GPU: " + std::to_string(count) + " visible on this node");
        }
        return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(local_rank));
    }
    return c10::Device(c10::kCPU);
}

int configure_threads(int64_t requested, int64_t local_ranks) {
    const int threads =
        requested > 0
            ? static_cast<int>(requested)
            : std::max(1, available_cores() / static_cast<int>(std::max<int64_t>(1, local_ranks)));
    at::set_num_threads(threads);
    return at::get_num_threads();
}

std::string blas_library() {
    std::string found;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* data) {
            const std::string name = info->dlpi_name ? info->dlpi_name : "";
            const std::string file = std::filesystem::path(name).filename().string();
            if (file.rfind("libblas.so", 0) == 0 || file.rfind("libopenblas", 0) == 0 ||
                file.rfind("libmkl_rt", 0) == 0 || file.rfind("libblis", 0) == 0) {
                std::error_code ec;
                const auto real = std::filesystem::canonical(name, ec);
                *static_cast<std::string*>(data) = ec ? name : real.string();
                return 1;
            }
            return 0;
        },
        &found);
    return found.empty() ? "none found (LibTorch's own kernels)" : found;
}

bool is_reference_blas(const std::string& path) {
    // Debian installs the netlib reference BLAS as .../blas/libblas.so.3.
    return path.find("/blas/libblas.so") != std::string::npos;
}

void keep_freed_memory() {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
}

double measure_cpu_matmul_flops() {
    const int64_t n = 512;
    const at::Tensor a = at::randn({n, n});
    const at::Tensor b = at::randn({n, n});
    at::Tensor c = at::matmul(a, b);  // warm-up
    double best = 0;
    for (int round = 0; round < 3; ++round) {
        const auto start = std::chrono::steady_clock::now();
        const int repeats = 4;
        for (int i = 0; i < repeats; ++i)
            at::matmul_out(c, a, b);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        best = std::max(best, repeats * 2.0 * n * n * n / seconds);
    }
    return best;
}

}  // namespace ladder::train
