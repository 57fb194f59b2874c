// metrics.jsonl: one ordered line per logged step, kept consistent across crashes and
// resumptions.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/run_ladder.hpp"
#include "train/metrics_jsonl.hpp"
#include "util/error.hpp"

using ladder::test::read_file;
using ladder::test::TempDir;
using ladder::test::write_file;
using ladder::train::Metrics;
using ladder::train::MetricsJsonl;
using ladder::train::TrainProgress;

namespace {

constexpr int64_t kTokensPerStep = 4096;

TrainProgress at_step(int64_t step) {
    TrainProgress progress;
    progress.step = step;
    progress.max_steps = 100;
    progress.tokens_seen = kTokensPerStep * step;
    return progress;
}

// Steps first..last through a MetricsJsonl started at `first - 1`; no post_train when the
// run `crashes`.
void log_steps(const std::string& run_folder, int64_t first, int64_t last, bool crashes = false) {
    MetricsJsonl log(run_folder);
    log.pre_train(at_step(first - 1));
    for (int64_t step = first; step <= last; ++step)
        log.log_metrics(at_step(step), {{"train/CE loss", 10.0 / step}});
    if (!crashes)
        log.post_train(at_step(last));
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

std::vector<int64_t> steps_in(const std::string& path) {
    std::vector<int64_t> steps;
    for (const std::string& line : lines_of(read_file(path))) {
        const auto record = nlohmann::json::parse(line);
        CHECK(record.at("tokens") == kTokensPerStep * record.at("step").get<int64_t>());
        steps.push_back(record.at("step"));
    }
    return steps;
}

}  // namespace

TEST_CASE("a fresh run writes one line per step: step, tokens, then metrics by name",
          "[metrics_log]") {
    TempDir dir;
    const std::string run_folder = dir / "ladder/190M";
    const std::string path = run_folder + "/metrics.jsonl";
    {
        MetricsJsonl log(run_folder);
        CHECK(log.path() == path);
        log.pre_train(at_step(0));
        const Metrics metrics = {{"train/CE loss", 3.5},
                                 {"optim/LR group 0", 0.25},
                                 {"diverged", std::numeric_limits<double>::infinity()}};
        log.log_metrics(at_step(1), metrics);
        // Flushed at once: a crash after this step loses nothing.
        CHECK(read_file(path) ==
              R"({"step":1,"tokens":4096,"diverged":null,"optim/LR group 0":0.25,)"
              R"("train/CE loss":3.5})"
              "\n");
        log.log_metrics(at_step(2), {{"train/CE loss", 0.1 + 0.2}});
        log.post_train(at_step(2));
    }
    const std::vector<std::string> lines = lines_of(read_file(path));
    REQUIRE(lines.size() == 2);
    CHECK(lines[1] == R"({"step":2,"tokens":8192,"train/CE loss":0.30000000000000004})");

    // Another fresh run in the same folder starts the file again.
    log_steps(run_folder, 1, 1);
    CHECK(steps_in(path) == std::vector<int64_t>{1});
}

TEST_CASE("a metric named step or tokens cannot replace the record's own", "[metrics_log]") {
    TempDir dir;
    MetricsJsonl log(dir.path);
    log.pre_train(at_step(0));
    log.log_metrics(at_step(1), {{"step", 7.0}, {"tokens", 8.0}});
    CHECK(read_file(log.path()) == "{\"step\":1,\"tokens\":4096}\n");
}

TEST_CASE("a resumed run re-logs the steps after its checkpoint exactly once", "[metrics_log]") {
    TempDir dir;
    log_steps(dir.path, 1, 7, /*crashes=*/true);
    log_steps(dir.path, 5, 9);  // resumed from the checkpoint of step 4
    CHECK(steps_in(dir / "metrics.jsonl") == std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9});

    // A resumption with no file yet starts one.
    TempDir other;
    log_steps(other.path, 5, 6);
    CHECK(steps_in(other / "metrics.jsonl") == std::vector<int64_t>{5, 6});
}

TEST_CASE("a torn last line and blank lines are dropped on resumption", "[metrics_log]") {
    TempDir dir;
    log_steps(dir.path, 1, 3, /*crashes=*/true);
    const std::string path = dir / "metrics.jsonl";
    // A blank line (an edit by hand) and a crash in the middle of writing step 4.
    write_file(path, "\n" + read_file(path) + R"({"step":4,"tokens":16)");
    log_steps(dir.path, 4, 5);  // resumed from the checkpoint of step 3
    CHECK(steps_in(path) == std::vector<int64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("a line in the middle that is not a record is a one-line error naming the file",
          "[metrics_log]") {
    TempDir dir;
    const std::string path = dir / "metrics.jsonl";
    const std::string text =
        "{\"step\":1,\"tokens\":4096}\nnot json\n{\"step\":2,\"tokens\":8192}\n";
    write_file(path, text);
    MetricsJsonl log(dir.path);
    try {
        log.pre_train(at_step(2));
        FAIL("no error");
    } catch (const ladder::UsageError& e) {
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains(path) && Catch::Contains("line 2"));
        CHECK(message.find('\n') == std::string::npos);
    }
    CHECK(read_file(path) == text);  // left as it was

    // A last line with its newline was written whole: not torn, so also an error.
    write_file(path, "{\"step\":1,\"tokens\":4096}\nnot json\n");
    CHECK_THROWS_AS(log.pre_train(at_step(2)), ladder::UsageError);
}
