// `ladder fit` end to end: a table written by `ladder metrics` from metrics files that
// follow a known loss law (no training), and every input mistake.
#include <cairo.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/run_ladder.hpp"
#include "plot/plot_layout.hpp"

using ladder::test::read_file;
using ladder::test::require_usage_error;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_file;

namespace {

// Chinchilla's law; pre-decay checkpoints sit 3% above it (not yet annealed).
double law(double n, double d) {
    return 1.69 + 406.4 / std::pow(n, 0.34) + 410.7 / std::pow(d, 0.28);
}

// A task's accuracy from its loss (the second step of the task law).
double accuracy(double loss) {
    return -0.75 / (1 + std::exp(-4.0 * (loss - 3.0))) + 1.0;
}

const std::vector<std::string> kSizes = {"60M", "100M", "190M", "370M", "760M", "1B"};

// Writes each planned checkpoint's metrics file of the built-in ladder under `dir`/runs,
// then collects them with `ladder metrics` into `dir`/metrics.csv.
void write_ladder_metrics(const std::string& dir) {
    std::string sizes;
    for (const std::string& size : kSizes) {
        sizes += size + " ";
        const auto plan = nlohmann::json::parse(run_ladder("dry-run " + size + " --json", dir).out);
        const double n = plan["num_non_embedding_params"];
        const auto checkpoints = nlohmann::json::parse(
            run_ladder("checkpoints " + size + " --json --dir runs", dir).out)[size];
        for (const auto& checkpoint : checkpoints) {
            const int64_t step = checkpoint["step"];
            if (step == 0)
                continue;
            const double d = checkpoint["tokens"];
            const std::string name = checkpoint["name"];
            const double loss =
                law(n, d) * (name.find("pre-decay") != std::string::npos ? 1.03 : 1.0);
            write_file(dir + "/runs/" + size + "/metrics_step" + std::to_string(step) + ".json",
                       nlohmann::json({{"eval/lm/held/CE loss", loss},
                                       {"train/CE loss", loss + 0.1},
                                       {"downstream/acc", accuracy(loss)}})
                           .dump());
        }
    }
    REQUIRE(run_ladder("metrics " + sizes + "--dir runs -o metrics.csv", dir).exit_code == 0);
}

// Pixels of the PNG within a small distance of palette color `index`.
int64_t pixels_of_color(const std::string& png, size_t index) {
    cairo_surface_t* image = cairo_image_surface_create_from_png(png.c_str());
    REQUIRE(cairo_surface_status(image) == CAIRO_STATUS_SUCCESS);
    CHECK(cairo_image_surface_get_width(image) == 1000);
    CHECK(cairo_image_surface_get_height(image) == 650);
    const auto color = ladder::plot::curve_color(index);
    const unsigned char* data = cairo_image_surface_get_data(image);
    int64_t count = 0;
    for (int y = 0; y < cairo_image_surface_get_height(image); ++y) {
        for (int x = 0; x < cairo_image_surface_get_width(image); ++x) {
            const uint32_t pixel = reinterpret_cast<const uint32_t*>(
                data + y * cairo_image_surface_get_stride(image))[x];
            const int r = (pixel >> 16) & 0xff, g = (pixel >> 8) & 0xff, b = pixel & 0xff;
            if (std::abs(r - color.r * 255) < 30 && std::abs(g - color.g * 255) < 30 &&
                std::abs(b - color.b * 255) < 30) {
                ++count;
            }
        }
    }
    cairo_surface_destroy(image);
    return count;
}

}  // namespace

TEST_CASE("fit recovers the law behind a ladder's metrics table and predicts a held-out size",
          "[fit]") {
    TempDir dir;
    write_ladder_metrics(dir.path);
    const auto r = run_ladder(
        "fit metrics.csv --rows post-decay --holdout largest --predict 7B:140B --compute 1e23 "
        "--bootstrap 20 --json -o fit.json",
        dir.path);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto fit = nlohmann::json::parse(r.out);
    CHECK(fit == nlohmann::json::parse(read_file(dir.path + "/fit.json")));
    const auto& loss_law = fit["loss_law"];
    CHECK(loss_law["column"] == "eval/lm/held/CE loss");
    CHECK(loss_law["rows"] == 20);  // 5 sizes x 4 post-decay checkpoints; 1B held out
    CHECK(loss_law["alpha"].get<double>() == Approx(0.34).epsilon(1e-3));
    CHECK(loss_law["beta"].get<double>() == Approx(0.28).epsilon(1e-3));
    CHECK(loss_law["E"].get<double>() == Approx(1.69).epsilon(1e-3));
    for (const char* name : {"A", "B", "E", "alpha", "beta"})
        CHECK(loss_law["ci"][name].size() == 2);
    const auto& prediction = fit["predictions"][0];
    CHECK(prediction["loss"].get<double>() == Approx(law(7e9, 140e9)).epsilon(1e-4));
    CHECK(fit["predictions"][1]["compute"].get<double>() == 1e23);
    CHECK(fit["holdout"]["size"] == "1B");
    CHECK(fit["holdout"]["rows"].size() == 4);
    CHECK(fit["holdout"]["mean_abs_relative_error"].get<double>() < 1e-3);

    // The same numbers on every run, and a readable table without --json.
    CHECK(run_ladder("fit metrics.csv --rows post-decay --holdout largest --predict 7B:140B "
                     "--compute 1e23 --bootstrap 20 --json",
                     dir.path)
              .out == r.out);
    const auto text = run_ladder("fit metrics.csv --rows post-decay --exclude-size 60M", dir.path);
    REQUIRE(text.exit_code == 0);
    CHECK(text.out.find("fitted to 20 rows (post-decay) of 'metrics.csv', column "
                        "'eval/lm/held/CE loss'") != std::string::npos);
    CHECK(text.out.find("  alpha  0.34") != std::string::npos);
    CHECK(text.out.find("\n  60M ") == std::string::npos);
    CHECK(text.out.find("\n  1B ") != std::string::npos);
}

TEST_CASE("the two-step task law chains the loss law into the accuracy sigmoid", "[fit]") {
    TempDir dir;
    write_ladder_metrics(dir.path);
    const auto r = run_ladder(
        "fit metrics.csv --rows post-decay --holdout largest --accuracy downstream/acc "
        "--predict 7B:140B --json",
        dir.path);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto fit = nlohmann::json::parse(r.out);
    const auto& task = fit["task_law"];
    CHECK(task["column"] == "downstream/acc");
    CHECK(task["points"] == 40);  // every checkpoint of the five fitted sizes
    CHECK(task["k"].get<double>() == Approx(4.0).epsilon(0.1));
    CHECK(task["L0"].get<double>() == Approx(3.0).epsilon(0.05));
    const double loss_7b = fit["predictions"][0]["loss"];
    CHECK(fit["predictions"][0]["accuracy"].get<double>() ==
          Approx(accuracy(loss_7b)).margin(0.02));
    for (const auto& row : fit["holdout"]["rows"]) {
        CHECK(row["predicted_accuracy"].get<double>() ==
              Approx(row["actual_accuracy"].get<double>()).margin(0.02));
    }
    const auto text =
        run_ladder("fit metrics.csv --accuracy downstream/acc --holdout 1B --plot figs", dir.path);
    CHECK(text.out.find("Task law, step 2: Acc(L) = a / (1 + exp(-k (L - L0))) + b") !=
          std::string::npos);
    CHECK(text.out.find("Figures: figs/loss_law.png") != std::string::npos);
    // Each size's points and curve in its own color; the held-out size last; the sigmoid.
    for (size_t size = 0; size < kSizes.size(); ++size) {
        INFO("size " << kSizes[size]);
        CHECK(pixels_of_color(dir.path + "/figs/loss_law.png", size) > 300);
        CHECK(pixels_of_color(dir.path + "/figs/predicted_vs_actual.png", size) > 100);
    }
    CHECK(pixels_of_color(dir.path + "/figs/task_law.png", 1) > 500);
    for (const char* svg : {"loss_law.svg", "predicted_vs_actual.svg", "task_law.svg"})
        CHECK(read_file(dir.path + "/figs/" + svg).find("<svg") != std::string::npos);
}

TEST_CASE("fit rejects bad input with one line and exit 2", "[fit]") {
    TempDir dir;
    const std::string header = "name,step,tokens,size,num_params,eval/lm/held/CE loss\n";
    std::string good = header;
    for (int i = 1; i <= 6; ++i) {
        const double n = 1e7 * i, d = 2e8 * i;
        good += "\"period 1, 1xC post-decay\"," + std::to_string(i) + "," +
                std::to_string(static_cast<int64_t>(d)) + ",s" + std::to_string(i) + "," +
                std::to_string(static_cast<int64_t>(n)) + "," + std::to_string(law(n, d)) + "\n";
    }
    write_file(dir.path + "/good.csv", good);
    write_file(dir.path + "/few.csv", header + "a,1,100,s1,10,3.0\n");
    write_file(dir.path + "/zero.csv", good + "b,1,0,s7,10,3.0\n");
    write_file(dir.path + "/ragged.csv", good + "b,1\n");
    require_usage_error(run_ladder("fit missing.csv", dir.path), "cannot read 'missing.csv'");
    require_usage_error(run_ladder("fit good.csv --loss eval/lm/other/CE\\ loss", dir.path),
                        "'good.csv' has no column 'eval/lm/other/CE loss' (columns: name, step, "
                        "tokens, size, num_params, eval/lm/held/CE loss)");
    require_usage_error(run_ladder("fit few.csv", dir.path),
                        "the loss law has 5 parameters but 'few.csv' gives 1 selected row(s)");
    require_usage_error(run_ladder("fit zero.csv", dir.path),
                        "'zero.csv' row 7, column 'tokens': expected a positive number, got 0");
    require_usage_error(run_ladder("fit ragged.csv", dir.path),
                        "'ragged.csv' row 7 has 2 fields, the header 6");
    require_usage_error(run_ladder("fit good.csv --holdout s9", dir.path),
                        "--holdout: no selected rows of size 's9' in 'good.csv'");
    require_usage_error(run_ladder("fit good.csv --predict 7B", dir.path),
                        "--predict: expected N:D such as 7B:140B, got '7B'");
    require_usage_error(run_ladder("fit good.csv --compute lots", dir.path),
                        "--compute: expected a positive number such as 7e9 or 7B, got 'lots'");
    require_usage_error(run_ladder("fit good.csv --rows final", dir.path),
                        "--rows: expected all, post-decay or pre-decay, got 'final'");
    require_usage_error(run_ladder("fit good.csv --rows pre-decay", dir.path),
                        "gives 0 selected row(s)");
}
