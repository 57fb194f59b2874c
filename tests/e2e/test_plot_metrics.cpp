// End-to-end: `ladder plot-metrics` on metrics.jsonl logs written by hand into two runs'
// folders; the PNG decoded and its pixels counted.
#include <cairo.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "e2e/run_folders.hpp"
#include "e2e/run_ladder.hpp"
#include "plot/plot_layout.hpp"

using ladder::test::count_of;
using ladder::test::make_checkpoint;
using ladder::test::read_file;
using ladder::test::require_usage_error;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_file;

namespace {

const ladder::plot::Rgb kGreen{0.173, 0.627, 0.173};  // the checkpoint marks

// A log of every step up to `last`: the train loss falling from 9 like a power law, an
// eval every 100 steps, the LR on every line and one non-finite loss (null).
std::string metrics_log(int64_t last, int64_t batch) {
    std::ostringstream out;
    for (int64_t step = 1; step <= last; ++step) {
        const double loss = 3 + 6 * std::pow(static_cast<double>(step), -0.4);
        out << "{\"step\": " << step << ", \"tokens\": " << step * batch
            << ", \"optim/LR (group 0)\": 0.0006, \"train/CE loss\": ";
        if (step == last / 2)
            out << "null";
        else
            out << loss;
        if (step % 100 == 0)
            out << ", \"eval/lm/sotu/CE loss\": " << loss + 0.2;
        out << "}\n";
    }
    return out.str();
}

// 1M logged to step 400 (checkpoints 304 and 338 in range, 304 on disk); 14M to step 900
// (768 and 854 in range).
struct Fixture {
    TempDir tmp;

    Fixture() {
        write_file(tmp / "ladder.yaml", ladder::test::kTwoSizeLadder);
        write_file(tmp / "runs/1M/metrics.jsonl", metrics_log(400, 4096));
        write_file(tmp / "runs/14M/metrics.jsonl", metrics_log(900, 24576));
        make_checkpoint(tmp / "runs/1M/step304");
    }

    ladder::test::Result run(const std::string& args) const {
        return run_ladder("plot-metrics " + args + " --config ladder.yaml", tmp.path);
    }
};

struct Image {
    int width = 0, height = 0;
    std::vector<uint32_t> pixels;  // 0x00RRGGBB

    explicit Image(const std::string& png) {
        cairo_surface_t* image = cairo_image_surface_create_from_png(png.c_str());
        REQUIRE(cairo_surface_status(image) == CAIRO_STATUS_SUCCESS);
        width = cairo_image_surface_get_width(image);
        height = cairo_image_surface_get_height(image);
        const unsigned char* data = cairo_image_surface_get_data(image);
        for (int y = 0; y < height; ++y) {
            const auto* row =
                reinterpret_cast<const uint32_t*>(data + y * cairo_image_surface_get_stride(image));
            pixels.insert(pixels.end(), row, row + width);
        }
        cairo_surface_destroy(image);
    }

    // Pixels within a small distance of `color`.
    int64_t count(ladder::plot::Rgb color) const {
        int64_t n = 0;
        for (const uint32_t pixel : pixels) {
            const int r = (pixel >> 16) & 0xff, g = (pixel >> 8) & 0xff, b = pixel & 0xff;
            n += std::abs(r - color.r * 255) < 30 && std::abs(g - color.g * 255) < 30 &&
                 std::abs(b - color.b * 255) < 30;
        }
        return n;
    }
};

}  // namespace

TEST_CASE("plot-metrics draws each size's loss curves and checkpoints as PNG and SVG",
          "[plot_metrics]") {
    Fixture f;
    const auto r = f.run("1M 14M -o plots");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out ==
          "Saved metrics plot to 'plots/metrics_1M_14M.png'\n"
          "Saved metrics plot to 'plots/metrics_1M_14M.svg'\n");

    const Image png(f.tmp / "plots/metrics_1M_14M.png");
    CHECK(png.width == 1000);
    CHECK(png.height == 710);  // 650 and a caption of three lines: the ladder, each size
    // Each size's train line and dashed eval line, and beyond the legend's two entries,
    // four checkpoint marks.
    CHECK(png.count(ladder::plot::curve_color(0)) > 800);
    CHECK(png.count(ladder::plot::curve_color(1)) > 800);
    CHECK(png.count(kGreen) > 150);

    const std::string svg = read_file(f.tmp / "plots/metrics_1M_14M.svg");
    CHECK(svg.rfind("<?xml", 0) == 0);
    CHECK(count_of(svg, "<path") > 10);
}

TEST_CASE("plot-metrics writes under ladder-output/<name> and takes --metric globs",
          "[plot_metrics]") {
    Fixture f;
    auto r = f.run("--metric 'optim/LR*' --metric 'eval/*' 1M");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out ==
          "Saved metrics plot to 'ladder-output/tiny/metrics_1M.png'\n"
          "Saved metrics plot to 'ladder-output/tiny/metrics_1M.svg'\n");
    const Image png(f.tmp / "ladder-output/tiny/metrics_1M.png");
    CHECK(png.height == 690);
    CHECK(png.count(ladder::plot::curve_color(0)) > 800);
    CHECK(png.count(ladder::plot::curve_color(1)) == 0);
}

TEST_CASE("plot-metrics errors are one line and exit 2", "[plot_metrics]") {
    Fixture f;
    require_usage_error(f.run("1M 7B"), "size '7B' is not in this ladder");

    require_usage_error(f.run("1M --metric 'eval/*/PPL'"),
                        "--metric 'eval/*/PPL' matches no metric in the logs; they have: "
                        "eval/lm/sotu/CE loss, optim/LR (group 0), train/CE loss");

    std::filesystem::remove(f.tmp / "runs/14M/metrics.jsonl");
    const std::string root = std::filesystem::canonical(f.tmp.path).string();
    require_usage_error(f.run("1M 14M"), "no metrics log '" + root +
                                             "/runs/14M/metrics.jsonl': the 14M run has not "
                                             "logged yet");

    write_file(f.tmp / "runs/1M/metrics.jsonl",
               "{\"step\": 1, \"tokens\": 4096, \"train/CE loss\": 9}\n"
               "{\"step\": 2, \"tokens\": 8192, \"train/CE loss\": 8.5}\n"
               "{\"step\": 3, \"tokens\": 12288, \"train/CE loss\": }\n");
    require_usage_error(f.run("1M"),
                        "malformed metrics log '" + root + "/runs/1M/metrics.jsonl' line 3: ");

    write_file(f.tmp / "runs/1M/metrics.jsonl",
               "{\"step\": 1, \"tokens\": 4096, \"throughput/device/TPS\": 1000}\n");
    require_usage_error(f.run("1M"), "the logs have no train/CE loss or eval/lm/*/CE loss");
    CHECK_FALSE(std::filesystem::exists(f.tmp / "ladder-output"));
}
