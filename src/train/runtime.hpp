// The machine a run trains on: device, CPU threads, BLAS library, allocator behaviour,
// and the CPU's measured matmul ceiling (for MFU).
#pragma once

#include <c10/core/Device.h>

#include <string>

namespace ladder::train {

// "auto" | "cpu" | "cuda" (GPU number `local_rank`); a CUDA request without that GPU is a
// UsageError.
c10::Device choose_device(const std::string& setting, int64_t local_rank = 0);

// Sets LibTorch's intra-op threads and returns the count in use. 0 shares the available
// cores among the `local_ranks` processes of this machine (as torchrun does): OpenMP
// threads that outnumber the cores spin against each other, and two 2-thread trainers on
// 2 cores were measured 26x slower than one.
int configure_threads(int64_t requested, int64_t local_ranks);

// Path of the BLAS library LibTorch calls (resolving Debian's alternatives links).
std::string blas_library();
// The slow netlib reference BLAS (~60x slower matmuls than OpenBLAS).
bool is_reference_blas(const std::string& path);

// Keeps memory freed by one step for the next instead of returning it to the OS, so
// steps do not pay page faults for their activations again and again.
void keep_freed_memory();

// Measured fp32 matmul FLOP/s on this CPU with the threads in use.
double measure_cpu_matmul_flops();

}  // namespace ladder::train
