// `ladder fit` end to end: a table written by `ladder metrics` from metrics files that
// follow a known loss law (no training), and every input mistake.
#include <cairo.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

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
// then collects them with `ladder metrics` into `dir`/metrics.csv and metrics.jsonl.
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
    REQUIRE(run_ladder("metrics " + sizes + "--dir runs -o metrics.jsonl", dir).exit_code == 0);
}

// `rows` rows of sizes s1..s`sizes` on the law, as CSV, with an accuracy column `acc`.
std::string law_csv(int sizes, int steps) {
    std::string csv = "name,step,tokens,size,num_params,eval/lm/held/CE loss,acc\n";
    for (int s = 1; s <= sizes; ++s) {
        for (int k = 1; k <= steps; ++k) {
            const double n = 1e7 * s * s, d = 2e8 * k * s;
            csv += "\"period " + std::to_string(k) + ", 1xC post-decay\"," + std::to_string(k) +
                   "," + std::to_string(static_cast<int64_t>(d)) + ",s" + std::to_string(s) + "," +
                   std::to_string(static_cast<int64_t>(n)) + "," + std::to_string(law(n, d)) + "," +
                   std::to_string(accuracy(law(n, d))) + "\n";
        }
    }
    return csv;
}

// Characters (code points) of UTF-8 text.
size_t characters(const std::string& text) {
    size_t count = 0;
    for (char c : text)
        count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return count;
}

// An error as the issue asks: exit 2, one line of at most 300 characters containing
// `needle`, nothing on stdout.
void require_short_usage_error(const ladder::test::Result& r, const std::string& needle) {
    require_usage_error(r, needle);
    CHECK(characters(r.err) <= 301);  // the newline included
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
    require_usage_error(run_ladder("fit missing.csv", dir.path),
                        "metrics table 'missing.csv': no such file");
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

TEST_CASE("fit reads the JSON Lines ladder metrics writes, as it reads the CSV", "[fit]") {
    TempDir dir;
    write_ladder_metrics(dir.path);
    const std::string options = " --rows post-decay --holdout largest --predict 7B:140B --json";
    const auto csv = run_ladder("fit metrics.csv" + options, dir.path);
    const auto jsonl = run_ladder("fit metrics.jsonl" + options, dir.path);
    INFO(jsonl.err);
    REQUIRE(csv.exit_code == 0);
    REQUIRE(jsonl.exit_code == 0);
    CHECK(jsonl.err.empty());
    CHECK(jsonl.out == csv.out);  // every number read back exactly, so the same fit
    CHECK(nlohmann::json::parse(jsonl.out)["loss_law"]["alpha"].get<double>() ==
          Approx(0.34).epsilon(1e-3));

    // By content when the name does not say.
    std::filesystem::copy_file(dir.path + "/metrics.jsonl", dir.path + "/metrics.txt");
    CHECK(run_ladder("fit metrics.txt" + options, dir.path).out == csv.out);
    const auto text = run_ladder("fit metrics.jsonl --rows post-decay", dir.path);
    CHECK(text.out.find("fitted to 24 rows (post-decay) of 'metrics.jsonl'") != std::string::npos);
}

TEST_CASE("fit refuses a malformed JSONL line naming file and line", "[fit]") {
    TempDir dir;
    const std::string good =
        "{\"name\": \"a\", \"step\": 1, \"tokens\": 100, \"size\": \"s1\", \"num_params\": "
        "10, \"eval/lm/held/CE loss\": 3.5}\n";
    write_file(dir / "string.jsonl", good + "\n{\"tokens\": \"100\"}\n");
    require_short_usage_error(run_ladder("fit string.jsonl", dir.path),
                              "'string.jsonl' line 3: \"tokens\" is the string \"100\", expected "
                              "a number or null");
    write_file(dir / "array.jsonl", good + "[1]\n");
    require_short_usage_error(run_ladder("fit array.jsonl", dir.path),
                              "'array.jsonl' line 2: expected a JSON object, got an array");
    write_file(dir / "bool.jsonl", good + "{\"step\": true}\n");
    require_short_usage_error(run_ladder("fit bool.jsonl", dir.path),
                              "'bool.jsonl' line 2: \"step\" is true, expected a number or null");
    // Bytes that are not UTF-8, in a value and in a key: named, and shown escaped.
    write_file(dir / "bytes.jsonl", good + "{\"size\": \"s\xff\"}\n");
    const auto bytes = run_ladder("fit bytes.jsonl", dir.path);
    require_short_usage_error(bytes, "'bytes.jsonl' line 2: column");
    CHECK(bytes.err.find("UTF-8") != std::string::npos);
    CHECK(bytes.err.find('\xff') == std::string::npos);
    write_file(dir / "key.jsonl", "{\"\xc3\": 1}\n");
    require_short_usage_error(run_ladder("fit key.jsonl", dir.path), "'key.jsonl' line 1: column");
    write_file(dir / "cut.jsonl", good + "{\"step\": 1");
    require_short_usage_error(run_ladder("fit cut.jsonl", dir.path), "'cut.jsonl' line 2: column");
}

TEST_CASE("fit refuses a FIFO, a folder and a device before opening them", "[fit]") {
    TempDir dir;
    const std::string fifo = dir / "pipe.jsonl";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    // Should `ladder fit` open the FIFO and wait for a writer, this thread comes in as one
    // (and leaves at once, so the read ends): the test fails instead of hanging.
    std::atomic<bool> done{false}, writer_got_in{false};
    std::thread unblocker([&] {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!done && std::chrono::steady_clock::now() < give_up) {
            const int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // fails with no reader
            if (fd >= 0) {
                writer_got_in = true;
                close(fd);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
    const auto r = run_ladder("fit pipe.jsonl", dir.path);
    done = true;
    unblocker.join();
    CHECK_FALSE(writer_got_in);
    require_short_usage_error(r, "'pipe.jsonl' is a FIFO, not a regular file");

    std::filesystem::create_directories(dir / "runs");
    require_short_usage_error(run_ladder("fit runs", dir.path), "'runs' is a folder");
    require_short_usage_error(run_ladder("fit /dev/null", dir.path),
                              "'/dev/null' is a device, not a regular file");
}

TEST_CASE("fit refuses accuracies outside [0, 1] naming file, row and column", "[fit]") {
    TempDir dir;
    std::string csv = law_csv(3, 4);
    csv.replace(csv.rfind(','), std::string::npos, ",75\n");  // a percentage, in the last row
    write_file(dir / "percent.csv", csv);
    require_short_usage_error(
        run_ladder("fit percent.csv --accuracy acc -o fit.json --plot figs", dir.path),
        "'percent.csv' row 12, column 'acc': expected an accuracy in [0, 1], got 75");
    CHECK_FALSE(std::filesystem::exists(dir / "fit.json"));  // nothing written on an error
    CHECK_FALSE(std::filesystem::exists(dir / "figs"));
    write_file(dir / "negative.jsonl",
               "{\"tokens\": 100, \"num_params\": 10, \"eval/lm/held/CE loss\": 3, \"acc\": "
               "0.5}\n\n{\"tokens\": 200, \"num_params\": 10, \"eval/lm/held/CE loss\": 3, "
               "\"acc\": -0.5}\n");
    require_short_usage_error(
        run_ladder("fit negative.jsonl --accuracy acc", dir.path),
        "'negative.jsonl' line 3, column 'acc': expected an accuracy in [0, 1], got -0.5");
}

TEST_CASE("fit refuses task-law options that make it meaningless, naming them", "[fit]") {
    TempDir dir;
    write_file(dir / "law.csv", law_csv(3, 4));
    REQUIRE(run_ladder("fit law.csv --accuracy acc", dir.path).exit_code == 0);
    require_short_usage_error(
        run_ladder("fit law.csv --accuracy acc --accuracy-max 0.2 --chance 0.25", dir.path),
        "--accuracy-max 0.2 is at or below --chance 0.25");
    require_short_usage_error(run_ladder("fit law.csv --accuracy acc --chance 1", dir.path),
                              "--accuracy-max 1 is at or below --chance 1");
    require_short_usage_error(run_ladder("fit law.csv --accuracy acc --chance 1.5", dir.path),
                              "--chance: expected an accuracy in [0, 1], got 1.5");
    require_short_usage_error(run_ladder("fit law.csv --chance lots", dir.path),
                              "Could not convert: --chance = lots");
    require_short_usage_error(run_ladder("fit law.csv --huber-delta 0", dir.path),
                              "--huber-delta: expected a positive number, got 0");
    require_short_usage_error(run_ladder("fit law.csv --bootstrap -1", dir.path),
                              "--bootstrap: Value -1 not in range 0 to 1000000");
}

TEST_CASE("fit warns in one line when the rows barely determine the law", "[fit]") {
    TempDir dir;
    write_file(dir / "few.csv", law_csv(2, 4));
    const auto few = run_ladder("fit few.csv --json", dir.path);
    INFO(few.err);
    REQUIRE(few.exit_code == 0);
    CHECK(few.err ==
          "ladder: warning: the loss law's 5 parameters are barely determined by only 8 rows\n");
    CHECK(nlohmann::json::parse(few.out)["loss_law"]["rows"] == 8);

    write_file(dir / "one_size.csv", law_csv(1, 12));
    const auto one_size = run_ladder("fit one_size.csv", dir.path);
    INFO(one_size.err);
    REQUIRE(one_size.exit_code == 0);
    CHECK(one_size.err ==
          "ladder: warning: the loss law's 5 parameters are barely determined by "
          "a single model size (N 10M)\n");
    CHECK(one_size.out.find("Loss law L(N, D)") != std::string::npos);

    write_file(dir / "enough.csv", law_csv(3, 4));
    const auto enough = run_ladder("fit enough.csv", dir.path);
    CHECK(enough.exit_code == 0);
    CHECK(enough.err.empty());
}

TEST_CASE("fit errors stay one short line whatever they echo", "[fit]") {
    TempDir dir;
    write_file(dir / "law.csv", law_csv(3, 4));
    const std::string long_name(1000, 'c');
    require_short_usage_error(run_ladder("fit law.csv --loss " + long_name, dir.path),
                              "'law.csv' has no column 'ccc");
    std::string csv = law_csv(3, 4);
    // The first row's tokens: 500 digits, then a line break inside the quotes.
    csv.replace(csv.find(",200000000,"), 11, ",\"" + std::string(500, '7') + "\n9\",");
    write_file(dir / "cell.csv", csv);
    require_short_usage_error(run_ladder("fit cell.csv", dir.path),
                              "'cell.csv' row 1, column 'tokens': expected a number, got '777");
    const std::string deep = std::string(120, 'd') + "/" + std::string(120, 'e');
    std::filesystem::create_directories(dir / deep);
    write_file(dir / (deep + "/missing_loss.csv"), "name,tokens\na,1\n");
    require_short_usage_error(run_ladder("fit " + deep + "/missing_loss.csv", dir.path),
                              "eee/missing_loss.csv' has no column 'train/CE loss'");
    require_short_usage_error(run_ladder("fit law.csv --predict " + long_name, dir.path),
                              "--predict: expected N:D such as 7B:140B, got 'ccc");
    require_short_usage_error(run_ladder("fit law.csv --huber-delta " + long_name, dir.path),
                              "Could not convert: --huber-delta = ccc");
    // An output that cannot be written is refused before the fit, and leaves nothing.
    std::filesystem::create_directories(dir / "out");
    require_short_usage_error(run_ladder("fit law.csv -o out --plot figs", dir.path),
                              "-o 'out' is a folder, expected a file");
    CHECK_FALSE(std::filesystem::exists(dir / "figs"));
    require_short_usage_error(run_ladder("fit law.csv -o none/fit.json", dir.path),
                              "-o 'none/fit.json': no folder 'none'");
    require_short_usage_error(run_ladder("fit law.csv --plot law.csv", dir.path),
                              "--plot 'law.csv' is a file, expected a folder");
}
