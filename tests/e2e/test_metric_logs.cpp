// End-to-end: what a training run leaves for people to read and plot besides its
// checkpoints — metrics.jsonl (also across a resume), TensorBoard event files, train.log
// and config.json — and that `trainer.no_checkpoints` leaves the run's folder untouched.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "e2e/run_ladder.hpp"
#include "e2e/tiny_ladder.hpp"

using ladder::test::read_file;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_tiny_run;

namespace {

const std::string kTrain = "train tiny --config tiny.yaml --trainer.hard_stop='{value: ";

// metrics.jsonl as step -> its object; fails on a repeated step.
std::map<int64_t, nlohmann::ordered_json> steps_of(const std::string& path) {
    std::map<int64_t, nlohmann::ordered_json> steps;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        const auto object = nlohmann::ordered_json::parse(line);
        const int64_t step = object.at("step").get<int64_t>();
        INFO("step " << step);
        CHECK(steps.count(step) == 0);
        steps[step] = object;
    }
    return steps;
}

}  // namespace

TEST_CASE("metrics.jsonl has every step once, also after a resume past logged steps",
          "[train][metrics_log]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    REQUIRE(run_ladder(kTrain + "8, unit: steps}' --dir straight", dir.path).exit_code == 0);
    REQUIRE(run_ladder(kTrain + "4, unit: steps}' --dir resumed", dir.path).exit_code == 0);
    // A run killed after its step-4 checkpoint had logged steps 5 and 6 (the second torn).
    const std::string log = dir.path + "/resumed/tiny/metrics.jsonl";
    {
        std::ofstream out(log, std::ios::app);
        out << "{\"step\": 5, \"tokens\": 5120, \"train/CE loss\": 1.0}\n{\"step\": 6, \"tok";
    }
    const auto second = run_ladder(kTrain + "8, unit: steps}' --dir resumed", dir.path);
    INFO(second.out << second.err);
    REQUIRE(second.exit_code == 0);

    const auto straight = steps_of(dir.path + "/straight/tiny/metrics.jsonl");
    const auto resumed = steps_of(log);
    REQUIRE(straight.size() == 8);
    REQUIRE(resumed.size() == 8);
    for (int64_t step = 1; step <= 8; ++step) {
        INFO("step " << step);
        const nlohmann::ordered_json& line = resumed.at(step);
        CHECK(line.begin().key() == "step");
        CHECK(line.at("tokens") == step * 1024);
        CHECK(line.at("train/CE loss") == straight.at(step).at("train/CE loss"));
        CHECK(line.at("optim/LR (group 0)") == straight.at(step).at("optim/LR (group 0)"));
    }
    // The run's folder also holds its config and its log, which a resume appends to.
    const std::string train_log = read_file(dir.path + "/resumed/tiny/train.log");
    CHECK(train_log.find("] info: training tiny-tiny") != std::string::npos);
    CHECK(train_log.find("] info: resuming from " + dir.path + "/resumed/tiny/step4") !=
          std::string::npos);
    const auto config = nlohmann::json::parse(read_file(dir.path + "/resumed/tiny/config.json"));
    CHECK(config.at("name") == "tiny");
}

TEST_CASE("TensorBoard event files hold a scalar for every metric of every step",
          "[train][metrics_log]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    const auto r = run_ladder(
        kTrain + "3, unit: steps}' --trainer.callbacks.tensorboard.enabled=true", dir.path);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> files;
    for (const auto& entry :
         std::filesystem::directory_iterator(dir.path + "/runs/tiny/tensorboard"))
        files.push_back(entry.path().filename().string());
    REQUIRE(files.size() == 1);
    CHECK(files[0].rfind("events.out.tfevents.", 0) == 0);
    const std::string events = read_file(dir.path + "/runs/tiny/tensorboard/" + files[0]);
    CHECK(ladder::test::count_of(events, "brain.Event:2") == 1);
    CHECK(ladder::test::count_of(events, "train/CE loss") == 3);
    CHECK(ladder::test::count_of(events, "optim/total grad norm") == 3);

    // Started again after its last step, the run logs nothing and leaves what it wrote.
    const std::string metrics_json = read_file(dir.path + "/runs/tiny/metrics.json");
    CHECK(metrics_json.find("train/CE loss") != std::string::npos);
    const auto again = run_ladder(
        kTrain + "3, unit: steps}' --trainer.callbacks.tensorboard.enabled=true", dir.path);
    INFO(again.out << again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(read_file(dir.path + "/runs/tiny/metrics.json") == metrics_json);
    size_t event_files = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator(dir.path + "/runs/tiny/tensorboard"))
        ++event_files;
    CHECK(event_files == 1);
}

TEST_CASE("a run with trainer.no_checkpoints writes nothing into its folder",
          "[train][metrics_log]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    const auto r = run_ladder(kTrain + "2, unit: steps}' --trainer.no_checkpoints", dir.path);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_FALSE(std::filesystem::exists(dir.path + "/runs"));
}

TEST_CASE("the log level chooses what reaches stderr, and a bad level is a usage error",
          "[train][logging]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    const auto quiet = run_ladder(kTrain + "2, unit: steps}' --log-level warn", dir.path);
    INFO(quiet.out << quiet.err);
    REQUIRE(quiet.exit_code == 0);
    CHECK(quiet.err.empty());
    CHECK(quiet.out.find("[step=2/2") != std::string::npos);  // metrics stay on stdout
    // The file keeps the info lines whatever the console shows.
    CHECK(read_file(dir.path + "/runs/tiny/train.log").find("info: training tiny-tiny") !=
          std::string::npos);

    const auto from_env =
        run_ladder(kTrain + "2, unit: steps}' --dir env", dir.path, "LADDER_LOG_LEVEL=error");
    CHECK(from_env.exit_code == 0);
    CHECK(from_env.err.empty());

    ladder::test::require_usage_error(run_ladder("dry-run 60M --log-level loud", dir.path),
                                      "--log-level: expected one of error, warn, info, debug, "
                                      "got 'loud'");
    ladder::test::require_usage_error(
        run_ladder("dry-run 60M", dir.path, "LADDER_LOG_LEVEL=loud"),
        "LADDER_LOG_LEVEL: expected one of error, warn, info, debug, got 'loud'");
}
