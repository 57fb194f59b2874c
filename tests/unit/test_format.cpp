// Number formatting: OLMo-core's format_int, thousands separators and Python's float repr.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "util/format.hpp"

using ladder::fixed;
using ladder::format_count;
using ladder::format_tokens;
using ladder::python_float;
using ladder::scientific;
using ladder::shortest_number;
using ladder::with_commas;

TEST_CASE("format_count is OLMo-core's format_int", "[format]") {
    // olmo_core/model_ladder/utils.py, format_count: one decimal and a K/M/B/T suffix, ".0"
    // dropped.
    CHECK(format_count(0) == "0");
    CHECK(format_count(999) == "999");
    CHECK(format_count(1000) == "1K");
    CHECK(format_count(4096) == "4.1K");
    CHECK(format_count(524288) == "524.3K");
    CHECK(format_count(999999) == "1000K");
    CHECK(format_count(100000000) == "100M");
    CHECK(format_count(190354176) == "190.4M");
    CHECK(format_count(190354432) == "190.4M");
    CHECK(format_count(1000000000) == "1B");
    CHECK(format_count(1279395840) == "1.3B");
    CHECK(format_count(3807000000) == "3.8B");
    CHECK(format_count(15228469248) == "15.2B");
    CHECK(format_count(2000000000000) == "2T");
}

TEST_CASE("format_tokens", "[format]") {
    CHECK(format_tokens(3807000000) == "3.8B tokens");
    CHECK(format_tokens(524288) == "524.3K tokens");
    CHECK(format_tokens(262144) == "262.1K tokens");
    CHECK(format_tokens(1000000) == "1M tokens");
    CHECK(format_tokens(512) == "512 tokens");
}

TEST_CASE("with_commas", "[format]") {
    CHECK(with_commas(0) == "0");
    CHECK(with_commas(7) == "7");
    CHECK(with_commas(999) == "999");
    CHECK(with_commas(1000) == "1,000");
    CHECK(with_commas(478126) == "478,126");
    CHECK(with_commas(1903689728) == "1,903,689,728");
    CHECK(with_commas(100000) == "100,000");
    CHECK(with_commas(-5) == "-5");
    CHECK(with_commas(-999) == "-999");
    CHECK(with_commas(-1000) == "-1,000");
    CHECK(with_commas(-1234567) == "-1,234,567");
    CHECK(with_commas(std::numeric_limits<int64_t>::max()) == "9,223,372,036,854,775,807");
}

TEST_CASE("python_float is Python's repr of a float", "[format]") {
    CHECK(python_float(4.0) == "4.0");
    CHECK(python_float(0.5) == "0.5");
    CHECK(python_float(0.0) == "0.0");
    CHECK(python_float(100.0) == "100.0");
    CHECK(python_float(-2.5) == "-2.5");
    CHECK(python_float(123.456) == "123.456");
    CHECK(python_float(1e-05) == "1e-05");
    CHECK(python_float(0.0001) == "0.0001");
    CHECK(python_float(9.9e-05) == "9.9e-05");
    CHECK(python_float(500000.0) == "500000.0");
    CHECK(python_float(1e15) == "1000000000000000.0");
    CHECK(python_float(1e16) == "1e+16");
    CHECK(python_float(1.5e16) == "1.5e+16");
    CHECK(python_float(1e22) == "1e+22");
    CHECK(python_float(0.1 + 0.2) == "0.30000000000000004");
    CHECK(python_float(1.0 / 3.0) == "0.3333333333333333");
    CHECK(python_float(5e-324) == "5e-324");
    CHECK(python_float(1.7976931348623157e308) == "1.7976931348623157e+308");

    // The 190M peak LR round-trips with its shortest digits.
    const double lr = 0.00194545703744203;
    CHECK(python_float(lr) == "0.00194545703744203");
    CHECK(std::strtod(python_float(lr).c_str(), nullptr) == lr);
}

TEST_CASE("shortest_number", "[format]") {
    CHECK(shortest_number(0.1) == "0.1");
    CHECK(shortest_number(1e-05) == "1e-05");
    CHECK(shortest_number(4.0) == "4");
    CHECK(shortest_number(0.00194545703744203) == "0.00194545703744203");
    CHECK(shortest_number(std::numeric_limits<double>::infinity()) == "inf");
    CHECK(std::strtod(shortest_number(0.1 + 0.2).c_str(), nullptr) == 0.1 + 0.2);
}

TEST_CASE("fixed and scientific", "[format]") {
    CHECK(fixed(21.875, 1) == "21.9");
    CHECK(fixed(3.0, 2) == "3.00");
    CHECK(scientific(0.00194545703744203, 4) == "1.9455e-03");
    CHECK(scientific(1e-3, 2) == "1.00e-03");
}

// Python's repr(-0.0) is "-0.0".
TEST_CASE("python_float keeps the sign of negative zero", "[format]") {
    CHECK(python_float(-0.0) == "-0.0");
    CHECK(with_commas(INT64_MIN) == "-9,223,372,036,854,775,808");
}

TEST_CASE("without_backtrace keeps a LibTorch error's message and drops its frames", "[format]") {
    const std::string oom =
        "CUDA out of memory. Tried to allocate 24.50 GiB.\nSee documentation for Memory "
        "Management\nException raised from malloc at CUDACachingAllocator.cpp:1574 (most recent "
        "call first):\nframe #0: c10::Error::Error(...)\n";
    CHECK(ladder::without_backtrace(oom) ==
          "CUDA out of memory. Tried to allocate 24.50 GiB.\nSee documentation for Memory "
          "Management");
    CHECK(ladder::without_backtrace("plain message") == "plain message");
}

TEST_CASE("one_line_message makes any message one line of at most 280 bytes", "[format]") {
    using ladder::one_line_message;
    CHECK(one_line_message("short") == "short");
    CHECK(one_line_message("first\nsecond\n\nthird\n") == "first; second; third");
    // A 10 MB value echoed in quotes keeps its start and end.
    const std::string huge(10'000'000, 'x');
    const std::string shortened = one_line_message("--name: bad value 'a" + huge + "z' (from x)");
    CHECK(shortened == "--name: bad value 'a" + std::string(47, 'x') + "\u2026" +
                           std::string(15, 'x') + "z' (from x)");
    // Without quotes the middle goes; UTF-8 characters are never cut.
    std::string accents;
    for (int i = 0; i < 400; ++i)
        accents += "\u00e9";
    const std::string cut = one_line_message(accents);
    CHECK(cut.size() <= 280);
    CHECK(cut.find("\u2026") != std::string::npos);
    CHECK(cut.size() % 2 == 1);  // whole two-byte characters around a three-byte "…"
    CHECK(one_line_message(std::string(500, 'y')).size() <= 280);
}
