// The exp that ladder's CPU kernels vectorize, against the library's exp in double.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "model/cpu_vector_math.hpp"

using ladder::model::vector_exp;

TEST_CASE("vector_exp: within 1.5e-7 of e^x on [-87.3, 88], 0 below, e^88 above", "[math]") {
    double worst = 0;
    for (int i = -873000; i <= 880000; ++i) {
        const float x = float(i) * 1e-4f;
        const double exact = std::exp(double(x));
        worst = std::max(worst, std::abs(double(vector_exp(x)) - exact) / exact);
    }
    CHECK(worst < 1.5e-7);
    CHECK(vector_exp(0.0f) == 1.0f);
    CHECK(vector_exp(-87.31f) == 0.0f);
    CHECK(vector_exp(-1e30f) == 0.0f);
    CHECK(vector_exp(-std::numeric_limits<float>::infinity()) == 0.0f);
    CHECK(vector_exp(1e30f) == vector_exp(88.0f));
    CHECK(std::isnan(vector_exp(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("lane_sum and lane_max: every term once, in the 16-wide steps and the remainder",
          "[math]") {
    float x[37];
    for (int j = 0; j < 37; ++j)
        x[j] = float((j * 7) % 37) - 11.5f;  // all distinct, the largest, 24.5, at j = 21
    for (int64_t n : {0, 5, 16, 37}) {
        INFO("n " << n);
        double sum = 0;
        float max = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < n; ++j) {
            sum += x[j];
            max = std::max(max, x[j]);
        }
        CHECK(ladder::model::lane_sum<float>(n, [&](int64_t j) { return x[j]; }) == float(sum));
        CHECK(ladder::model::lane_max(x, n) == max);
    }
    x[3] = std::numeric_limits<float>::quiet_NaN();
    CHECK(ladder::model::lane_max(x, 37) == 24.5f);
}
