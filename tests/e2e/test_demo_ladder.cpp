// scripts/demo-ladder.sh --quick: the whole method on one CPU, as the README shows it, at a
// fifth of the tokens: plan, train four sizes with LM and downstream evaluation at every
// planned checkpoint, collect the metrics, fit with the largest size held out and predict.
// Prepares the demo data (an npm download and spm_train) when it is not cached.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "e2e/run_ladder.hpp"

using ladder::test::read_file;
using ladder::test::TempDir;

TEST_CASE("demo-ladder: plan, train, evaluate, fit and predict the held-out size", "[demo]") {
    TempDir dir;
    const std::string build = std::filesystem::path(LADDER_BINARY).parent_path().string();
    const std::string command =
        "cd '" + std::string(LADDER_SOURCE_DIR) + "' && LADDER_BUILD_DIR='" + build +
        "' scripts/demo-ladder.sh --quick --no-setup --dir '" + (dir / "runs") +
        "' --output-dir '" + (dir / "out") + "' >'" + (dir / "log") + "' 2>&1";
    const int status = std::system(command.c_str());
    INFO(read_file(dir / "log"));
    REQUIRE(status == 0);

    // Every planned checkpoint of every size, with both evaluations.
    const std::string table = read_file(dir / "out/metrics.csv");
    CHECK(std::count(table.begin(), table.end(), '\n') == 1 + 4 * 4);
    CHECK(table.find("eval/downstream/sotu_next (length-normalized accuracy)") !=
          std::string::npos);
    CHECK(table.find("eval/lm/sotu/CE loss") != std::string::npos);

    const auto fit = nlohmann::json::parse(read_file(dir / "out/fit.json"));
    CHECK(fit["holdout"]["size"] == "210K");
    REQUIRE(fit["holdout"]["rows"].size() == 2);  // its two post-decay checkpoints
    for (const auto& row : fit["holdout"]["rows"]) {
        CHECK(row["predicted"].get<double>() > 0);
        CHECK(row["actual"].get<double>() > 0);
        for (const char* key : {"predicted_accuracy", "actual_accuracy"}) {
            CHECK(row[key].get<double>() >= 0.0);
            CHECK(row[key].get<double>() <= 1.0);
        }
    }
    for (const char* figure : {"loss_law.png", "task_law.png", "predicted_vs_actual.svg"})
        CHECK(std::filesystem::file_size(dir / ("out/" + std::string(figure))) > 0);
    CHECK(read_file(dir / "log").find("Held-out size 210K (not fitted):") != std::string::npos);
}
