// ladder's CUDA kernels (src/cuda) against references computed on the host in double
// precision. Built wherever nvcc is; on a machine without a GPU every test reports itself
// skipped (CTest's SKIP_REGULAR_EXPRESSION), never passed.
#include <cuda_runtime_api.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cuda/kernels.hpp"

using ladder::cuda::DType;

namespace {

bool has_device() {
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

#define REQUIRE_DEVICE()                     \
    do {                                     \
        if (!has_device()) {                 \
            WARN("no CUDA device: skipped"); \
            return;                          \
        }                                    \
    } while (false)

// bf16 as LibTorch rounds: to nearest, ties to even.
uint16_t to_bf16(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    bits += 0x7fff + ((bits >> 16) & 1);
    return static_cast<uint16_t>(bits >> 16);
}

float from_bf16(uint16_t v) {
    const uint32_t bits = static_cast<uint32_t>(v) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// Values of one dtype on the host and the device.
struct Buffer {
    DType dtype;
    std::vector<float> values;  // as stored (bf16 values already rounded)
    void* device = nullptr;

    Buffer(DType t, std::vector<float> v) : dtype(t), values(std::move(v)) {
        if (dtype == DType::bf16) {
            for (float& x : values)
                x = from_bf16(to_bf16(x));
        }
        REQUIRE(cudaMalloc(&device, bytes()) == cudaSuccess);
        upload();
    }
    ~Buffer() { cudaFree(device); }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    size_t element() const { return dtype == DType::f32 ? 4 : 2; }
    size_t bytes() const { return values.size() * element(); }
    void upload() {
        std::vector<uint16_t> half;
        const void* data = values.data();
        if (dtype == DType::bf16) {
            for (const float x : values)
                half.push_back(to_bf16(x));
            data = half.data();
        }
        REQUIRE(cudaMemcpy(device, data, bytes(), cudaMemcpyHostToDevice) == cudaSuccess);
    }
    std::vector<float> download() const {
        std::vector<float> out(values.size());
        if (dtype == DType::f32) {
            REQUIRE(cudaMemcpy(out.data(), device, bytes(), cudaMemcpyDeviceToHost) == cudaSuccess);
            return out;
        }
        std::vector<uint16_t> half(values.size());
        REQUIRE(cudaMemcpy(half.data(), device, bytes(), cudaMemcpyDeviceToHost) == cudaSuccess);
        for (size_t i = 0; i < half.size(); ++i)
            out[i] = from_bf16(half[i]);
        return out;
    }
};

std::vector<float> random_values(size_t n, float low, float high, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uniform(low, high);
    std::vector<float> v(n);
    for (float& x : v)
        x = uniform(rng);
    return v;
}

// Largest |a - b| / (|b| + 1): within rounding of the dtype for values of any size.
double worst(const std::vector<float>& a, const std::vector<double>& b) {
    double w = 0;
    for (size_t i = 0; i < a.size(); ++i)
        w = std::max(w, std::fabs(a[i] - b[i]) / (std::fabs(b[i]) + 1));
    return w;
}

}  // namespace

TEST_CASE("RMSNorm forward and backward match double precision, fp32 and bf16", "[cuda]") {
    REQUIRE_DEVICE();
    const double eps = 1e-6;
    for (const DType dtype : {DType::f32, DType::bf16}) {
        // Odd widths: a row shorter than a warp, one not a multiple of the block.
        for (const auto& [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{
                 {1, 1}, {3, 7}, {5, 33}, {2, 1000}, {4, 4099}, {64, 768}}) {
            INFO((dtype == DType::f32 ? "fp32 " : "bf16 ") << rows << " x " << cols);
            const size_t n = static_cast<size_t>(rows * cols);
            Buffer x(dtype, random_values(n, -3, 3, 1)), w(dtype, random_values(cols, 0.5, 1.5, 2));
            Buffer y(dtype, std::vector<float>(n)), dy(dtype, random_values(n, -1, 1, 3));
            Buffer dx(dtype, std::vector<float>(n));
            Buffer rstd(DType::f32, std::vector<float>(rows)),
                dw(DType::f32, std::vector<float>(cols));
            REQUIRE(ladder::cuda::rms_norm_forward(
                        dtype, x.device, w.device, y.device, static_cast<float*>(rstd.device), rows,
                        cols, static_cast<float>(eps), nullptr) == cudaSuccess);
            REQUIRE(ladder::cuda::rms_norm_backward(
                        dtype, x.device, w.device, static_cast<const float*>(rstd.device),
                        dy.device, dx.device, static_cast<float*>(dw.device), rows, cols,
                        nullptr) == cudaSuccess);
            REQUIRE(cudaDeviceSynchronize() == cudaSuccess);

            // The reference, from the same (rounded) inputs.
            std::vector<double> y_ref(n), dx_ref(n), dw_ref(cols, 0.0), rstd_ref(rows);
            for (int64_t r = 0; r < rows; ++r) {
                double squares = 0;
                for (int64_t j = 0; j < cols; ++j)
                    squares += std::pow(x.values[r * cols + j], 2);
                const double s = 1 / std::sqrt(squares / cols + eps);
                rstd_ref[r] = s;
                double dot = 0;
                for (int64_t j = 0; j < cols; ++j) {
                    const size_t i = r * cols + j;
                    y_ref[i] = w.values[j] * x.values[i] * s;
                    dot += dy.values[i] * w.values[j] * x.values[i] * s;
                }
                for (int64_t j = 0; j < cols; ++j) {
                    const size_t i = r * cols + j;
                    const double nrm = x.values[i] * s;
                    dx_ref[i] = s * (dy.values[i] * w.values[j] - nrm * dot / cols);
                    dw_ref[j] += dy.values[i] * nrm;
                }
            }
            // fp32 arithmetic throughout; bf16 outputs round once more (8 bits of mantissa).
            const double tolerance = dtype == DType::f32 ? 1e-5 : 1e-2;
            CHECK(worst(rstd.download(), rstd_ref) < 1e-5);
            CHECK(worst(y.download(), y_ref) < tolerance);
            CHECK(worst(dx.download(), dx_ref) < tolerance);
            CHECK(worst(dw.download(), dw_ref) < 1e-4 * rows);
        }
    }
}

TEST_CASE("kernels refuse shapes they cannot launch and accept empty ones", "[cuda]") {
    REQUIRE_DEVICE();
    float* rstd = nullptr;
    CHECK(ladder::cuda::rms_norm_forward(DType::f32, nullptr, nullptr, nullptr, rstd, 0, 8, 1e-6f,
                                         nullptr) == cudaSuccess);
    CHECK(ladder::cuda::rms_norm_forward(DType::f32, nullptr, nullptr, nullptr, rstd, 4, 0, 1e-6f,
                                         nullptr) == cudaErrorInvalidValue);
}
