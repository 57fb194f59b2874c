// ladder's CUDA kernels (src/cuda) against references computed on the host in double
// precision. Built wherever nvcc is; on a machine without a GPU every test reports itself
// skipped (CTest's SKIP_REGULAR_EXPRESSION), never passed.
#include <cuda_runtime_api.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <memory>
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

TEST_CASE(
    "RMSNorm forward and backward match double precision, fp32, bf16 and bf16 with an "
    "fp32 weight",
    "[cuda]") {
    REQUIRE_DEVICE();
    const double eps = 1e-6;
    for (const auto& [dtype, weight_dtype] : std::vector<std::pair<DType, DType>>{
             {DType::f32, DType::f32}, {DType::bf16, DType::bf16}, {DType::bf16, DType::f32}}) {
        // Odd widths: a row shorter than a warp, one not a multiple of the block.
        for (const auto& [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{
                 {1, 1}, {3, 7}, {5, 33}, {2, 1000}, {4, 4099}, {64, 768}}) {
            INFO((dtype == DType::f32 ? "fp32 " : "bf16 ")
                 << "weight " << (weight_dtype == DType::f32 ? "fp32 " : "bf16 ") << rows << " x "
                 << cols);
            const size_t n = static_cast<size_t>(rows * cols);
            Buffer x(dtype, random_values(n, -3, 3, 1)),
                w(weight_dtype, random_values(cols, 0.5, 1.5, 2));
            Buffer y(dtype, std::vector<float>(n)), dy(dtype, random_values(n, -1, 1, 3));
            Buffer dx(dtype, std::vector<float>(n));
            Buffer rstd(DType::f32, std::vector<float>(rows)),
                dw(DType::f32, std::vector<float>(cols));
            REQUIRE(ladder::cuda::rms_norm_forward(dtype, weight_dtype, x.device, w.device,
                                                   y.device, static_cast<float*>(rstd.device), rows,
                                                   cols, static_cast<float>(eps),
                                                   nullptr) == cudaSuccess);
            REQUIRE(ladder::cuda::rms_norm_backward(
                        dtype, weight_dtype, x.device, w.device,
                        static_cast<const float*>(rstd.device), dy.device, dx.device,
                        static_cast<float*>(dw.device), rows, cols, nullptr) == cudaSuccess);
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

TEST_CASE("SwiGLU forward and backward match double precision, fp32 and bf16", "[cuda]") {
    REQUIRE_DEVICE();
    for (const DType dtype : {DType::f32, DType::bf16}) {
        for (const auto& [rows, hidden] :
             std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 37}, {70, 3072}}) {
            INFO((dtype == DType::f32 ? "fp32 " : "bf16 ") << rows << " x " << hidden);
            const size_t n = static_cast<size_t>(rows * hidden);
            // Far enough out to reach where the sigmoid saturates.
            Buffer ab(dtype, random_values(2 * n, -12, 12, 4)),
                dout(dtype, random_values(n, -1, 1, 5));
            Buffer out(dtype, std::vector<float>(n)), d_ab(dtype, std::vector<float>(2 * n));
            REQUIRE(ladder::cuda::swiglu_forward(dtype, ab.device, out.device, rows, hidden,
                                                 nullptr) == cudaSuccess);
            REQUIRE(ladder::cuda::swiglu_backward(dtype, ab.device, dout.device, d_ab.device, rows,
                                                  hidden, nullptr) == cudaSuccess);
            REQUIRE(cudaDeviceSynchronize() == cudaSuccess);
            std::vector<double> out_ref(n), d_ab_ref(2 * n);
            for (int64_t r = 0; r < rows; ++r) {
                for (int64_t j = 0; j < hidden; ++j) {
                    const size_t at_a = r * 2 * hidden + j, at_b = at_a + hidden,
                                 i = r * hidden + j;
                    const double a = ab.values[at_a], b = ab.values[at_b], g = dout.values[i];
                    const double s = 1 / (1 + std::exp(-a));
                    out_ref[i] = a * s * b;
                    d_ab_ref[at_a] = g * b * s * (1 + a * (1 - s));
                    d_ab_ref[at_b] = g * a * s;
                }
            }
            const double tolerance = dtype == DType::f32 ? 1e-5 : 1e-2;
            CHECK(worst(out.download(), out_ref) < tolerance);
            CHECK(worst(d_ab.download(), d_ab_ref) < tolerance);
        }
    }
}

TEST_CASE("rotary embedding rotates each pair by its position's angle, and back", "[cuda]") {
    REQUIRE_DEVICE();
    const int64_t batch = 2, seq = 5, heads = 3, head_dim = 8, half = head_dim / 2;
    std::vector<float> cos(seq * half), sin(seq * half);
    for (int64_t t = 0; t < seq; ++t) {
        for (int64_t j = 0; j < half; ++j) {
            const double angle = t * std::pow(10000.0, -2.0 * j / head_dim);
            cos[t * half + j] = static_cast<float>(std::cos(angle));
            sin[t * half + j] = static_cast<float>(std::sin(angle));
        }
    }
    Buffer cos_d(DType::f32, cos), sin_d(DType::f32, sin);
    for (const DType dtype : {DType::f32, DType::bf16}) {
        INFO((dtype == DType::f32 ? "fp32" : "bf16"));
        const size_t n = static_cast<size_t>(batch * seq * heads * head_dim);
        Buffer x(dtype, random_values(n, -2, 2, 6));
        REQUIRE(ladder::cuda::rope(dtype, x.device, static_cast<const float*>(cos_d.device),
                                   static_cast<const float*>(sin_d.device), batch, seq, heads,
                                   head_dim, false, nullptr) == cudaSuccess);
        REQUIRE(cudaDeviceSynchronize() == cudaSuccess);
        const std::vector<float> rotated = x.download();
        std::vector<double> expected(n);
        for (int64_t b = 0; b < batch; ++b) {
            for (int64_t t = 0; t < seq; ++t) {
                for (int64_t h = 0; h < heads; ++h) {
                    const size_t base = ((b * seq + t) * heads + h) * head_dim;
                    for (int64_t j = 0; j < half; ++j) {
                        const double c = cos[t * half + j], s = sin[t * half + j];
                        const double x1 = x.values[base + j], x2 = x.values[base + j + half];
                        expected[base + j] = x1 * c - x2 * s;
                        expected[base + j + half] = x2 * c + x1 * s;
                    }
                }
            }
        }
        const double tolerance = dtype == DType::f32 ? 1e-5 : 1e-2;
        CHECK(worst(rotated, expected) < tolerance);
        // The inverse rotation (backward) brings the values back.
        REQUIRE(ladder::cuda::rope(dtype, x.device, static_cast<const float*>(cos_d.device),
                                   static_cast<const float*>(sin_d.device), batch, seq, heads,
                                   head_dim, true, nullptr) == cudaSuccess);
        REQUIRE(cudaDeviceSynchronize() == cudaSuccess);
        const std::vector<float> back = x.download();
        CHECK(worst(back, std::vector<double>(x.values.begin(), x.values.end())) < 2 * tolerance);
    }
}

TEST_CASE("kernels refuse shapes they cannot launch and accept empty ones", "[cuda]") {
    REQUIRE_DEVICE();
    float* rstd = nullptr;
    CHECK(ladder::cuda::rms_norm_forward(DType::f32, DType::f32, nullptr, nullptr, nullptr, rstd, 0,
                                         8, 1e-6f, nullptr) == cudaSuccess);
    CHECK(ladder::cuda::rms_norm_forward(DType::f32, DType::f32, nullptr, nullptr, nullptr, rstd, 4,
                                         0, 1e-6f, nullptr) == cudaErrorInvalidValue);
    CHECK(ladder::cuda::swiglu_forward(DType::bf16, nullptr, nullptr, 0, 16, nullptr) ==
          cudaSuccess);
    CHECK(ladder::cuda::rope(DType::f32, nullptr, nullptr, nullptr, 1, 1, 1, 7, false, nullptr) ==
          cudaErrorInvalidValue);
}

TEST_CASE("fused AdamW equals the per-tensor float operations bit for bit, taken or skipped",
          "[cuda]") {
    REQUIRE_DEVICE();
    // More tensors than one launch takes, of odd sizes, one empty.
    std::vector<int64_t> sizes;
    for (int k = 0; k < 40; ++k)
        sizes.push_back(k == 7 ? 0 : 1 + (k * 7919) % 3001);
    const float lr = 3e-4f, weight_decay = 0.1f, beta1 = 0.9f, beta2 = 0.95f, eps = 1e-8f;
    for (const float f : {1.0f, 0.0f}) {
        INFO("step factor " << f);
        // The factors as SkipStepAdamW computes them (0-dim float ops), at step 3.
        const float step = 3;
        const std::vector<float> factors = {
            1 - f * (lr * weight_decay),
            f * (1 - beta1),
            1 - f * (1 - beta2),
            f * (1 - beta2),
            std::sqrt(1 - std::pow(beta2, step)),
            f * lr / (1 - std::pow(beta1, step)),
        };
        std::vector<std::unique_ptr<Buffer>> factor_buffers;
        for (const float value : factors)
            factor_buffers.push_back(
                std::make_unique<Buffer>(DType::f32, std::vector<float>{value}));
        const auto factor = [&](int i) {
            return static_cast<const float*>(factor_buffers[i]->device);
        };
        std::vector<std::unique_ptr<Buffer>> buffers;
        std::vector<ladder::cuda::AdamWTensor> tensors;
        for (size_t k = 0; k < sizes.size(); ++k) {
            const size_t n = static_cast<size_t>(sizes[k]);
            const uint32_t seed = static_cast<uint32_t>(10 * k);
            buffers.push_back(std::make_unique<Buffer>(DType::f32, random_values(n, -1, 1, seed)));
            buffers.push_back(
                std::make_unique<Buffer>(DType::f32, random_values(n, -1, 1, seed + 1)));
            buffers.push_back(
                std::make_unique<Buffer>(DType::f32, random_values(n, -0.1f, 0.1f, seed + 2)));
            buffers.push_back(
                std::make_unique<Buffer>(DType::f32, random_values(n, 0, 0.01f, seed + 3)));
            const size_t at = buffers.size() - 4;
            tensors.push_back({static_cast<float*>(buffers[at]->device),
                               static_cast<const float*>(buffers[at + 1]->device),
                               static_cast<float*>(buffers[at + 2]->device),
                               static_cast<float*>(buffers[at + 3]->device), sizes[k]});
        }
        REQUIRE(ladder::cuda::adamw_update(
                    tensors.data(), static_cast<int64_t>(tensors.size()),
                    {factor(0), factor(1), factor(2), factor(3), factor(4), factor(5)}, eps,
                    nullptr) == cudaSuccess);
        REQUIRE(cudaDeviceSynchronize() == cudaSuccess);
        for (size_t k = 0; k < sizes.size(); ++k) {
            INFO("tensor " << k);
            const Buffer &p = *buffers[4 * k], &g = *buffers[4 * k + 1], &m = *buffers[4 * k + 2],
                         &v = *buffers[4 * k + 3];
            const std::vector<float> p_out = p.download(), m_out = m.download(),
                                     v_out = v.download();
            size_t mismatches = 0;
            for (size_t i = 0; i < p.values.size(); ++i) {
                // One float operation at a time, as LibTorch's kernels run them; its CUDA
                // lerp contracts to one fma.
                const float gi = g.values[i];
                const float decayed = p.values[i] * factors[0];
                const float w = factors[1];
                const float m_ref = std::fma(w, gi - m.values[i], m.values[i]);
                const float v_ref = v.values[i] * factors[2] + (gi * gi) * factors[3];
                const float denom = std::sqrt(v_ref) / factors[4] + eps;
                const float p_ref = decayed - (m_ref / denom) * factors[5];
                mismatches += p_out[i] != p_ref || m_out[i] != m_ref || v_out[i] != v_ref;
            }
            CHECK(mismatches == 0);
        }
    }
}
