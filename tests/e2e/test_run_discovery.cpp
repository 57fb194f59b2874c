// End-to-end: `ladder checkpoints` and `ladder metrics` on run folders built by hand.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/run_folders.hpp"
#include "e2e/run_ladder.hpp"

using ladder::test::make_checkpoint;
using ladder::test::read_file;
using ladder::test::require_usage_error;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_file;

namespace {

namespace fs = std::filesystem;

// Run folders:
//   runs/1M:  step0, step304 (+ metrics), step642 incomplete (+ metrics)
//   alt/1M:   step338 (+ metrics)
//   runs/14M: step0, step768 (+ metrics), step854 (no metrics file), step1708 (+ metrics)
struct Fixture {
    TempDir tmp;
    std::string root = fs::canonical(tmp.path).string();
    std::string runs = root + "/runs";

    Fixture() {
        write_file(root + "/ladder.yaml", ladder::test::kTwoSizeLadder);
        make_checkpoint(runs + "/1M/step0");
        make_checkpoint(runs + "/1M/step304");
        write_file(runs + "/1M/metrics_step304.json",
                   R"({"train/CE loss": 3.25, "eval/lm/sotu/CE loss": 3.5})");
        write_file(runs + "/1M/step642/train/rank0.json", "x");  // no marker: incomplete
        write_file(runs + "/1M/metrics_step642.json", R"({"train/CE loss": 2.9})");
        make_checkpoint(root + "/alt/1M/step338");
        write_file(root + "/alt/1M/metrics_step338.json",
                   R"j({"train/CE loss": 3.1, "eval/lm/sotu/CE loss": 3.4,
                       "optim/LR (group 0)": 0.000123})j");
        make_checkpoint(runs + "/14M/step0");
        make_checkpoint(runs + "/14M/step768");
        write_file(runs + "/14M/metrics_step768.json",
                   R"({"train/CE loss": 2.5, "eval/lm/sotu/CE loss": 2.75,
                       "throughput/device/TPS": 12780, "eval/odd \"key\", x": 1.5})");
        make_checkpoint(runs + "/14M/step854");
        make_checkpoint(runs + "/14M/step1708");
        write_file(runs + "/14M/metrics_step1708.json",
                   R"({"train/CE loss": 0.3333333333333333, "eval/lm/sotu/CE loss": null})");
    }

    ladder::test::Result run(const std::string& args) const {
        return run_ladder(args + " --config ladder.yaml", root);
    }
};

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("checkpoints lists the planned checkpoints with ✔/✘ and the percent complete",
          "[discovery]") {
    Fixture f;
    const auto r = f.run("checkpoints 1M --alternative-dirs alt");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out ==
          "Run for size 1M, 50% complete:\n"
          "✔ Step 0 (0 tokens) initialization\n"
          "  ↳ checkpoint: " +
              f.runs +
              "/1M/step0\n"
              "✔ Step 304 (1.2M tokens) period 1, 0.5xC pre-decay\n"
              "  ↳ checkpoint: " +
              f.runs +
              "/1M/step304\n"
              "  ↳ metrics:    " +
              f.runs +
              "/1M/metrics_step304.json\n"
              "✔ Step 338 (1.4M tokens) period 1, 0.5xC post-decay\n"
              "  ↳ checkpoint: alt/1M/step338\n"
              "  ↳ metrics:    alt/1M/metrics_step338.json\n"
              "✘ Step 642 (2.6M tokens) period 2, 1xC pre-decay\n"
              "✘ Step 676 (2.8M tokens) period 2, 1xC post-decay\n");
}

TEST_CASE("checkpoints without the alternative dir misses what only it holds", "[discovery]") {
    Fixture f;
    const auto r = f.run("checkpoints 1M");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Run for size 1M, 45% complete:\n") == 0);  // 304 / 676
    CHECK(r.out.find("✘ Step 338 (1.4M tokens) period 1, 0.5xC post-decay\n") != std::string::npos);
    CHECK(r.out.find("alt/") == std::string::npos);
    CHECK(r.out.find('\x1b') == std::string::npos);  // no colors when not a terminal
}

TEST_CASE("checkpoints over several sizes ends with a summary table", "[discovery]") {
    Fixture f;
    const auto r = f.run("checkpoints --all --alternative-dirs alt");
    REQUIRE(r.exit_code == 0);
    // 14M: 1708 is the last planned step, so 100% (and ✔) although 1622 is missing.
    CHECK(r.out.find("\n\nRun for size 14M, 100% complete:\n") != std::string::npos);
    CHECK(r.out.find("✔ Step 854 (21M tokens) period 1, 0.5xC post-decay\n"
                     "  ↳ checkpoint: " +
                     f.runs +
                     "/14M/step854\n"
                     "✘ Step 1,622 (39.9M tokens) period 2, 1xC pre-decay\n") != std::string::npos);
    const std::string summary =
        "\n\n"
        "              Summary: tiny\n"
        "┏━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━┓\n"
        "┃ Size ┃ Checkpoints ┃ Metrics ┃ Status ┃\n"
        "┡━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━┩\n"
        "│ 1M   │         3/5 │     3/4 │   ⚠    │\n"
        "│ 14M  │         4/5 │     2/4 │   ✔    │\n"
        "└──────┴─────────────┴─────────┴────────┘\n";
    REQUIRE(r.out.size() > summary.size());
    CHECK(r.out.substr(r.out.size() - summary.size()) == summary);
}

TEST_CASE("checkpoints says when a run plans no checkpoints", "[discovery]") {
    Fixture f;
    const auto r = f.run("checkpoints --all --trainer.no_checkpoints");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Run for size 1M has no configured checkpoint intervals.\n\n") == 0);
    CHECK(r.out.find("│ 14M  │           - │       - │   ✘    │\n") != std::string::npos);
}

TEST_CASE("checkpoints --discover-all lists every complete checkpoint on disk", "[discovery]") {
    Fixture f;
    const auto r = f.run("checkpoints 1M 14M --discover-all --alternative-dirs alt");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Discovered 3 checkpoint(s) for size 1M (expected 5):\n"
                     "✔ Step 0 (0 tokens) step-0\n"
                     "  ↳ checkpoint: " +
                     f.runs +
                     "/1M/step0\n"
                     "✔ Step 304 (1.2M tokens) step-304\n"
                     "  ↳ checkpoint: " +
                     f.runs +
                     "/1M/step304\n"
                     "  ↳ metrics:    " +
                     f.runs +
                     "/1M/metrics_step304.json\n"
                     "✔ Step 338 (1.4M tokens) step-338\n"
                     "  ↳ checkpoint: alt/1M/step338\n"
                     "  ↳ metrics:    alt/1M/metrics_step338.json\n\n") == 0);
    CHECK(r.out.find("step-642") == std::string::npos);  // incomplete
    CHECK(r.out.find("Discovered 4 checkpoint(s) for size 14M (expected 5):\n") !=
          std::string::npos);
    CHECK(r.out.find("│ 1M   │         3/5 │     2/4 │   ⚠    │\n") != std::string::npos);

    const auto none = f.run("checkpoints 1M 14M --discover-all --dir=elsewhere");
    REQUIRE(none.exit_code == 0);
    CHECK(none.out.find("No checkpoints found for size 1M (expected 5).\n") == 0);
    CHECK(none.out.find("│ 14M  │         0/5 │     0/4 │   ✘    │\n") != std::string::npos);
}

TEST_CASE("checkpoints --json is one object keyed by size", "[discovery]") {
    Fixture f;
    const auto r = f.run("checkpoints 14M 1M --json --alternative-dirs alt");
    REQUIRE(r.exit_code == 0);
    using J = nlohmann::ordered_json;
    const auto j = J::parse(r.out);
    const auto entry = [](const std::string& name, int64_t step, int64_t tokens,
                          const std::string& path, const J& metrics, bool exists) {
        return J{{"name", name},
                 {"step", step},
                 {"tokens", tokens},
                 {"path", path},
                 {"metrics_path", metrics},
                 {"exists", exists}};
    };
    const std::string m = f.runs + "/1M/";
    const J one_m = J::array({
        entry("initialization", 0, 0, m + "step0", nullptr, true),
        entry("period 1, 0.5xC pre-decay", 304, 304 * 4096, m + "step304",
              m + "metrics_step304.json", true),
        entry("period 1, 0.5xC post-decay", 338, 338 * 4096, "alt/1M/step338",
              "alt/1M/metrics_step338.json", true),
        entry("period 2, 1xC pre-decay", 642, 642 * 4096, m + "step642", m + "metrics_step642.json",
              false),
        entry("period 2, 1xC post-decay", 676, 676 * 4096, m + "step676", nullptr, false),
    });
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it)
        keys.push_back(it.key());
    CHECK(keys == std::vector<std::string>{"14M", "1M"});
    CHECK(j["1M"] == one_m);
    REQUIRE(j["14M"].size() == 5);
    CHECK(j["14M"][2] == entry("period 1, 0.5xC post-decay", 854, 854 * 24576,
                               f.runs + "/14M/step854", nullptr, true));

    const auto discovered = f.run("checkpoints 1M --json --discover-all --alternative-dirs alt");
    REQUIRE(discovered.exit_code == 0);
    const auto d = J::parse(discovered.out);
    REQUIRE(d["1M"].size() == 3);
    CHECK(d["1M"][1] ==
          entry("step-304", 304, 304 * 4096, m + "step304", m + "metrics_step304.json", true));
}

TEST_CASE("metrics writes one CSV row per metrics file, sizes in ladder order", "[discovery]") {
    Fixture f;
    const auto r = f.run("metrics 14M 1M --alternative-dirs alt");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out ==
          "name,step,tokens,size,num_params,eval/lm/sotu/CE loss,\"eval/odd \"\"key\"\", x\","
          "optim/LR (group 0),throughput/device/TPS,train/CE loss\n"
          "\"period 1, 0.5xC pre-decay\",304,1245184,1M,138476,3.5,,,,3.25\n"
          "\"period 1, 0.5xC post-decay\",338,1384448,1M,138476,3.4,,0.000123,,3.1\n"
          "\"period 2, 1xC pre-decay\",642,2629632,1M,138476,,,,,2.9\n"
          "\"period 1, 0.5xC pre-decay\",768,18874368,14M,2099328,2.75,1.5,,12780,2.5\n"
          "\"period 2, 1xC post-decay\",1708,41975808,14M,2099328,,,,,0.3333333333333333\n");
}

TEST_CASE("metrics --prefix keeps only the matching metrics", "[discovery]") {
    Fixture f;
    const auto r = f.run("metrics --all --prefix train/");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out ==
          "name,step,tokens,size,num_params,train/CE loss\n"
          "\"period 1, 0.5xC pre-decay\",304,1245184,1M,138476,3.25\n"
          "\"period 2, 1xC pre-decay\",642,2629632,1M,138476,2.9\n"
          "\"period 1, 0.5xC pre-decay\",768,18874368,14M,2099328,2.5\n"
          "\"period 2, 1xC post-decay\",1708,41975808,14M,2099328,0.3333333333333333\n");
}

TEST_CASE("metrics --discover-all takes the checkpoints found on disk", "[discovery]") {
    Fixture f;
    const auto r = f.run("metrics 1M --discover-all --alternative-dirs alt --prefix eval/");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out ==
          "name,step,tokens,size,num_params,eval/lm/sotu/CE loss\n"
          "step-304,304,1245184,1M,138476,3.5\n"
          "step-338,338,1384448,1M,138476,3.4\n");
}

TEST_CASE("metrics -o writes JSON Lines and Markdown by extension", "[discovery]") {
    Fixture f;
    auto r = f.run("metrics 1M --alternative-dirs alt -o out/m.jsonl");
    CHECK(r.exit_code == 2);  // the folder does not exist
    fs::create_directories(f.root + "/out");

    r = f.run("metrics 1M --alternative-dirs alt -o out/m.jsonl");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "Saved metrics of 3 checkpoint(s) to 'out/m.jsonl'\n");
    const auto rows = lines(read_file(f.root + "/out/m.jsonl"));
    REQUIRE(rows.size() == 3);
    const auto first = nlohmann::ordered_json::parse(rows[0]);
    std::vector<std::string> keys;
    for (auto it = first.begin(); it != first.end(); ++it)
        keys.push_back(it.key());
    CHECK(keys == std::vector<std::string>{"name", "step", "tokens", "size", "num_params",
                                           "eval/lm/sotu/CE loss", "optim/LR (group 0)",
                                           "train/CE loss"});
    CHECK(first["name"] == "period 1, 0.5xC pre-decay");
    CHECK(first["step"] == 304);
    CHECK(first["size"] == "1M");
    CHECK(first["optim/LR (group 0)"].is_null());
    CHECK(first["train/CE loss"] == 3.25);
    CHECK(nlohmann::json::parse(rows[1])["optim/LR (group 0)"] == 0.000123);

    r = f.run("metrics 1M --alternative-dirs alt -o out/m.md");
    REQUIRE(r.exit_code == 0);
    const auto md = lines(read_file(f.root + "/out/m.md"));
    REQUIRE(md.size() == 5);
    CHECK(md[0] ==
          "| name                       | step | tokens  | size | num_params | "
          "eval/lm/sotu/CE loss | optim/LR (group 0) | train/CE loss |");
    CHECK(md[1] ==
          "| -------------------------- | ---: | ------: | ---- | ---------: | "
          "-------------------: | -----------------: | ------------: |");
    CHECK(md[3] ==
          "| period 1, 0.5xC post-decay |  338 | 1384448 | 1M   |     138476 | "
          "                 3.4 |           0.000123 |           3.1 |");
    for (const auto& entry : fs::directory_iterator(f.root + "/out"))
        CHECK(entry.path().string().find(".tmp") == std::string::npos);
}

TEST_CASE("checkpoints and metrics reject what cannot work", "[discovery]") {
    Fixture f;
    require_usage_error(f.run("checkpoints"), "no sizes given");
    require_usage_error(f.run("metrics"), "no sizes given");
    require_usage_error(f.run("checkpoints 1M --all"), "not both");
    require_usage_error(f.run("checkpoints 2M"), "size '2M' is not in this ladder");
    require_usage_error(f.run("metrics 1M -o table.txt"), "use a .csv, .jsonl or .md file");
    CHECK_FALSE(fs::exists(f.root + "/table.txt"));

    // Only 14M's folder, which has no metrics files at all.
    fs::remove_all(f.runs + "/14M");
    make_checkpoint(f.runs + "/14M/step768");
    const auto none = f.run("metrics 14M");
    CHECK(none.exit_code == 1);
    CHECK(none.out.empty());
    CHECK(none.err ==
          "ladder: failed: no metrics files found for size(s) 14M (no "
          "metrics_step<N>.json in '" +
              f.runs + "/14M')\n");
    // Another size has some: a warning, and the table.
    const auto some = f.run("metrics --all");
    CHECK(some.exit_code == 0);
    CHECK(some.err == "ladder: warning: no metrics files found for size(s) 14M\n");

    write_file(f.runs + "/1M/metrics_step304.json", R"({"train/CE loss": 3.25,)");
    require_usage_error(f.run("metrics 1M"),
                        "malformed metrics file '" + f.runs + "/1M/metrics_step304.json'");
    write_file(f.runs + "/1M/metrics_step304.json", R"({"train/CE loss": "low"})");
    require_usage_error(f.run("metrics 1M"), "metric 'train/CE loss' is string, not a number");
    write_file(f.runs + "/1M/metrics_step304.json", "[1, 2]");
    require_usage_error(f.run("metrics 1M"), "expected a JSON object");
}
