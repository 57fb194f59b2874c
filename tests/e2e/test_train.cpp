// End-to-end: `ladder train` and `ladder benchmark` on token files written by the test.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>

#include "e2e/run_ladder.hpp"
#include "e2e/tiny_ladder.hpp"
#include "io/checkpoint_dir.hpp"
#include "util/crc32c.hpp"

using ladder::test::make_temp_dir;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::tiny_ladder;
using ladder::test::write_documents;
using ladder::test::write_file;
using ladder::test::write_tiny_run;
using ladder::test::write_tokens;

namespace {

// Every value of a metric in a log, in order.
std::vector<double> metric_values(const std::string& log, const std::string& name) {
    std::vector<double> values;
    const std::string needle = "    " + name + "=";
    for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
        std::string text = log.substr(at + needle.size(), 32);
        text.erase(std::remove(text.begin(), text.end(), ','), text.end());
        values.push_back(std::stod(text));
    }
    return values;
}

// Flips one bit in the middle of the file at `path` (a tensor archive still loads) and
// returns its new bytes.
std::string flip_middle_bit(const std::string& path) {
    std::string bytes = ladder::test::read_file(path);
    bytes[bytes.size() / 2] ^= 0x01;
    ladder::test::write_file(path, bytes);
    return bytes;
}

}  // namespace

TEST_CASE("a ~1M-parameter model memorizes a 4k-token file", "[train]") {
    TempDir dir;
    write_tokens(dir.path + "/mem.u16", 4096, 2, 512);
    write_file(dir.path + "/tiny.yaml", tiny_ladder("mem.u16"));
    const auto r = run_ladder(
        "train tiny --config tiny.yaml "
        "--trainer.callbacks.console_logger.log_interval=50",
        dir.path);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("ladder: training tiny-tiny") != std::string::npos);
    CHECK(r.err.find("ladder: data 32 instances of 128 tokens; 8 instances per step in 2 "
                     "micro-batch(es); 150 steps") != std::string::npos);
    CHECK(r.out.find("[step=150/150,epoch=38") != std::string::npos);
    const auto losses = metric_values(r.out, "train/CE loss");
    REQUIRE(losses.size() == 4);  // steps 1, 50, 100 and 150
    CHECK(losses.front() > 6.0);  // about ln(512)
    CHECK(losses.back() < 1.0);
    CHECK(metric_values(r.out, "optim/LR (group 1)").back() == Approx(3e-3));
}

TEST_CASE("train obeys hard stops in steps and epochs", "[train]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    const auto steps = run_ladder(
        "train tiny --config tiny.yaml --trainer.hard_stop='{value: 3, unit: steps}'", dir.path);
    REQUIRE(steps.exit_code == 0);
    CHECK(steps.out.find("[step=3/3,epoch=1,eta=0s(hard stop)]") != std::string::npos);
    CHECK(steps.out.find("[step=4") == std::string::npos);
    // 32 instances, 8 per step: one epoch is 4 steps.
    const auto epochs = run_ladder(
        "train tiny --config tiny.yaml --trainer.hard_stop='{value: 1, unit: epochs}'", dir.path);
    REQUIRE(epochs.exit_code == 0);
    CHECK(epochs.out.find("[step=4/4,epoch=1") != std::string::npos);
    CHECK(epochs.out.find("[step=5") == std::string::npos);
}

TEST_CASE("benchmark prints the speed table", "[train]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    const auto r = run_ladder(
        "benchmark tiny --config tiny.yaml --trainer.hard_stop='{value: 6, unit: steps}'",
        dir.path);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Benchmark over 5 timed steps") != std::string::npos);
    CHECK(std::regex_search(r.out, std::regex(R"(\n  tokens/s +[0-9]+ +[0-9]+ +[0-9]+\n)")));
    std::smatch mfu;
    REQUIRE(std::regex_search(r.out, mfu,
                              std::regex(R"(\n  MFU \(%\) +([0-9.]+) +([0-9.]+) +([0-9.]+)\n)")));
    for (size_t i = 1; i <= 3; ++i)
        CHECK(std::stod(mfu[i]) <= 100.0);  // against a peak no lower than the run's own speed
    CHECK(r.out.find("  MFU against ") != std::string::npos);  // and the table says which
    CHECK(r.out.find("  peak memory ") != std::string::npos);
    // The medians are saved for `dry-run --all`.
    const auto saved =
        nlohmann::json::parse(ladder::test::read_file(dir.path + "/runs/benchmarks/tiny.json"));
    CHECK(saved.at("size") == "tiny");
    CHECK(saved.at("device") == "cpu");
    CHECK(saved.at("timed_steps") == 5);
    CHECK(saved.at("mfu").get<double>() == Approx(std::stod(mfu[1]) / 100).epsilon(0.01));
}

TEST_CASE("bad data stops before the first step with one line and exit 2", "[train]") {
    TempDir dir;
    write_tokens(dir.path + "/ok.u16", 4096, 2, 512);
    write_tokens(dir.path + "/big.u16", 4096, 2, 600);
    write_tokens(dir.path + "/short.u16", 1000, 2, 512);
    write_file(dir.path + "/odd.u16", "abc");
    write_file(dir.path + "/tiny.yaml", tiny_ladder("ok.u16"));
    const auto fails = [&](const std::string& overrides, const std::string& needle) {
        const auto r = run_ladder("train tiny --config tiny.yaml " + overrides, dir.path);
        INFO(overrides << "\n" << r.err);
        CHECK(r.exit_code == 2);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find(needle) != std::string::npos);
    };
    fails("--data.paths='[missing.u16]'", "missing.u16");
    fails("--data.paths='[odd.u16]'", "odd.u16");
    fails("--data.paths='[big.u16]'", "is not below the vocabulary size 512");
    fails("--data.paths='[short.u16]'", "fewer than one global batch");
    fails("--data.paths='[nothing*.u16]'", "matches no files");
    fails("--data.paths='[]'", "data.paths");
}

TEST_CASE("a run stopped and resumed continues bit for bit like the uninterrupted run",
          "[train][checkpoint]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    const std::string train = "train tiny --config tiny.yaml --trainer.hard_stop='{value: ";
    const auto straight = run_ladder(train + "8, unit: steps}' --dir straight", dir.path);
    REQUIRE(straight.exit_code == 0);
    const auto first = run_ladder(train + "4, unit: steps}' --dir resumed", dir.path);
    REQUIRE(first.exit_code == 0);
    // A crashed save leaves a temporary behind; the next run removes it.
    std::filesystem::create_directories(dir.path + "/resumed/tiny/step6-tmp/train");
    const auto second = run_ladder(train + "8, unit: steps}' --dir resumed", dir.path);
    INFO(second.out << second.err);
    REQUIRE(second.exit_code == 0);
    CHECK(second.err.find("ladder: removed 1 unfinished checkpoint(s)") != std::string::npos);
    CHECK(second.err.find("ladder: resuming from " + dir.path + "/resumed/tiny/step4 (step 4)") !=
          std::string::npos);
    CHECK(second.out.find("[step=5/8") == std::string::npos);  // logs at 1, 8 only; none before
    CHECK_FALSE(std::filesystem::exists(dir.path + "/resumed/tiny/step6-tmp"));
    for (const char* file :
         {"model_and_optim/model.pt", "model_and_optim/optim.pt", "train/rank0.json"}) {
        INFO(file);
        CHECK(ladder::test::read_file(dir.path + "/straight/tiny/step8/" + file) ==
              ladder::test::read_file(dir.path + "/resumed/tiny/step8/" + file));
    }
    for (const char* step : {"step0", "step4", "step8"}) {
        CHECK(std::filesystem::exists(dir.path + "/resumed/tiny/" + std::string(step) +
                                      "/.metadata.json"));
    }
    CHECK(metric_values(second.out, "train/CE loss").back() ==
          metric_values(straight.out, "train/CE loss").back());
}

TEST_CASE("a checkpoint of another model or a corrupt one is a clear error",
          "[train][checkpoint]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    REQUIRE(
        run_ladder("train tiny --config tiny.yaml --trainer.hard_stop='{value: 2, unit: steps}'",
                   dir.path)
            .exit_code == 0);
    const auto other = run_ladder(
        "train tiny --config tiny.yaml --model.sizes.tiny.d_model=64 "
        "--trainer.hard_stop='{value: 3, unit: steps}'",
        dir.path);
    CHECK(other.exit_code == 2);
    CHECK(other.err.find("step2/model_and_optim/model.pt': embeddings.weight has shape [512, "
                         "128], the model [512, 64]") != std::string::npos);
    std::filesystem::resize_file(dir.path + "/runs/tiny/step2/model_and_optim/model.pt", 100);
    const std::string train_3 =
        "train tiny --config tiny.yaml --trainer.hard_stop='{value: 3, unit: steps}'";
    const auto strict = run_ladder(train_3 + " --trainer.fallback_to_previous=false", dir.path);
    CHECK(strict.exit_code == 2);
    CHECK(strict.err.find("step2/model_and_optim/model.pt' is damaged: 100 bytes, written with ") !=
          std::string::npos);
    CHECK(ladder::test::count_of(strict.err, "ladder: error: ") == 1);  // after the progress
    CHECK(strict.err.rfind("ladder: error: ") > strict.err.rfind("ladder: training"));
    // By default the run falls back to the checkpoint before and says so.
    const auto fallback = run_ladder(train_3, dir.path);
    INFO(fallback.err);
    CHECK(fallback.exit_code == 0);
    CHECK(fallback.err.find("is damaged") != std::string::npos);
    CHECK(fallback.err.find("falling back to " + dir.path + "/runs/tiny/step0") !=
          std::string::npos);
    CHECK(fallback.err.find("resuming from " + dir.path + "/runs/tiny/step0 (step 0)") !=
          std::string::npos);
    // trainer.load_path continues another run's checkpoint in a new folder.
    const auto continued = run_ladder(
        "train tiny --config tiny.yaml --dir other --trainer.load_path=runs/tiny/step3 "
        "--trainer.hard_stop='{value: 4, unit: steps}'",
        dir.path);
    CHECK(continued.exit_code == 0);
    CHECK(continued.err.find("resuming from " + dir.path + "/runs/tiny/step3 (step 3)") !=
          std::string::npos);
    CHECK(std::filesystem::exists(dir.path + "/other/tiny/step4/.metadata.json"));
    const auto benchmark = run_ladder(
        "benchmark tiny --config tiny.yaml --trainer.hard_stop='{value: 2, unit: steps}' --dir b",
        dir.path);
    CHECK(benchmark.exit_code == 0);
    // No run folder; only the benchmark's result beside where run folders go.
    CHECK_FALSE(std::filesystem::exists(dir.path + "/b/tiny"));
    CHECK(std::filesystem::exists(dir.path + "/b/benchmarks/tiny.json"));
}

TEST_CASE("at planned checkpoints the validation sets are evaluated and metrics saved",
          "[train][checkpoint]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    write_documents(dir.path + "/v.u16", 8, 2, 512, 0);
    // The constant schedule's single cycle decays from step 10: a pre-decay checkpoint there.
    const auto r = run_ladder(
        "train tiny --config tiny.yaml --data.validation='{held: [v.u16]}' "
        "--trainer.hard_stop='{value: 12, unit: steps}'",
        dir.path);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("ladder: eval at step 10: eval/lm/held/CE loss=") != std::string::npos);
    const auto metrics =
        nlohmann::json::parse(ladder::test::read_file(dir.path + "/runs/tiny/metrics_step10.json"));
    CHECK(metrics["eval/lm/held/CE loss"].get<double>() > 0);
    CHECK(metrics["eval/lm/held/PPL"].get<double>() ==
          Approx(std::exp(metrics["eval/lm/held/CE loss"].get<double>())));
    // Step 10 is the last warmup step: Levanter reads update index 9, 0.9 * 3e-3.
    CHECK(metrics["optim/LR (group 1)"].get<double>() == Approx(2.7e-3));
    CHECK(metrics.contains("train/CE loss"));
    CHECK(std::filesystem::exists(dir.path + "/runs/tiny/metrics.json"));
    CHECK(std::filesystem::exists(dir.path + "/runs/tiny/step10/config.json"));
    const auto config =
        nlohmann::json::parse(ladder::test::read_file(dir.path + "/runs/tiny/step10/config.json"));
    CHECK(config["sequence_length"] == 128);
    CHECK(config["run"]["type"] == "levanter");
}

TEST_CASE("SIGTERM finishes the step, saves a checkpoint and exits 75 for requeueing",
          "[train][checkpoint]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    // Signal once the first step has been logged; `wait` gives the exit code.
    const std::string script =
        "cd '" + dir.path + "' && ('" + LADDER_BINARY +
        "' train tiny --config tiny.yaml --run.num_train_steps=100000 >out.txt 2>err.txt & "
        "pid=$!; for i in $(seq 600); do grep -q 'step=1/' out.txt 2>/dev/null && break; "
        "sleep 0.1; done; kill -TERM $pid; wait $pid; echo $? >code.txt)";
    REQUIRE(std::system(script.c_str()) == 0);
    const std::string err = ladder::test::read_file(dir.path + "/err.txt");
    INFO(ladder::test::read_file(dir.path + "/out.txt") << err);
    CHECK(ladder::test::read_file(dir.path + "/code.txt") == "75\n");
    CHECK(err.find("ladder: stopped by SIGTERM after step ") != std::string::npos);
    const auto steps = ladder::io::find_checkpoints(dir.path + "/runs/tiny");
    REQUIRE(steps.size() == 2);  // step 0 and the stop
    const std::string last = ladder::io::checkpoint_dir(dir.path + "/runs/tiny", steps.back());
    CHECK(ladder::test::read_file(last + "/.metadata.json").find("\"ephemeral\": true") !=
          std::string::npos);
    const auto resumed = run_ladder(
        "train tiny --config tiny.yaml --run.num_train_steps=100000 "
        "--trainer.hard_stop='{value: " +
            std::to_string(steps.back() + 1) + ", unit: steps}'",
        dir.path);
    CHECK(resumed.exit_code == 0);
    CHECK(resumed.err.find("ladder: resuming from " + last) != std::string::npos);
}

TEST_CASE("kill -9 at random moments, 50 times: every run resumes from a complete checkpoint",
          "[train][checkpoint][kill]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    // A checkpoint after every step, so kills land inside saves; no fallback, so a
    // half-written checkpoint that looked complete would fail the next run (exit 2).
    const std::string train = "'" + std::string(LADDER_BINARY) +
                              "' train tiny --config tiny.yaml --run.num_train_steps=100000 "
                              "--trainer.callbacks.checkpointer.ephemeral_save_interval=1 "
                              "--trainer.callbacks.checkpointer.ephemeral_cooldown=0 "
                              "--trainer.fallback_to_previous=false --trainer.threads=1";
    // Each kill falls 0.0-2.7 s after the run has built its model (whatever the machine's
    // load makes of start-up), so it lands in a step or a save.
    const std::string script =
        "cd '" + dir.path + "' && (RANDOM=7; for i in $(seq 50); do " + train +
        " >out.txt 2>run.err & pid=$!; "
        "for t in $(seq 300); do grep -q 'instances per step' run.err && break; sleep 0.1; done; "
        "sleep 0.$((RANDOM % 10)); sleep 0.$((RANDOM % 10)); sleep 0.$((RANDOM % 10)); "
        "kill -9 $pid; wait $pid; echo $? >>codes.txt; cat run.err >>err.txt; done) 2>/dev/null";
    REQUIRE(std::system(script.c_str()) == 0);
    const std::string codes = ladder::test::read_file(dir.path + "/codes.txt");
    INFO(ladder::test::read_file(dir.path + "/err.txt"));
    CHECK(codes == [] {
        std::string all;
        for (int i = 0; i < 50; ++i)
            all += "137\n";  // every run was alive when killed
        return all;
    }());
    const auto steps = ladder::io::find_checkpoints(dir.path + "/runs/tiny");
    REQUIRE_FALSE(steps.empty());
    CHECK(steps.back() > 20);  // the runs made progress between the kills
    // Ephemeral checkpoints go as soon as a newer one is complete, even while the next is
    // being written: what stays is step 0, the planned step 10, the newest complete one and
    // the one being written at the kill.
    CHECK(steps.size() <= 4);
    const auto last = run_ladder(
        "train tiny --config tiny.yaml --trainer.fallback_to_previous=false "
        "--trainer.hard_stop='{value: " +
            std::to_string(steps.back() + 1) + ", unit: steps}'",
        dir.path);
    INFO(last.out << last.err);
    CHECK(last.exit_code == 0);
    if (steps.back() > 0)
        CHECK(last.err.find("resuming from") != std::string::npos);
}

TEST_CASE("a trainer state that disagrees with its folder is damaged and no checkpoint changes",
          "[train][checkpoint]") {
    // Each believed, step4's state would make the run save over good checkpoints (step 2:
    // step 4 again from step-4 weights; step -4: step 0) or read past the data.
    const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> damages = {
        {"it says step 2 in the folder of step 4", [](auto& j) { j["global_step"] = 2; }},
        {"it says step -4", [](auto& j) { j["global_step"] = -4; }},
        {"", [](auto& j) { j["data_loader"]["batches_processed"] = 1000000000000LL; }},
    };
    for (const auto& [reason, damage] : damages) {
        INFO("damage: " << (reason.empty() ? "a data position past the data" : reason));
        TempDir dir;
        write_tiny_run(dir.path, 4096);
        const std::string train = "train tiny --config tiny.yaml --trainer.hard_stop='{value: ";
        REQUIRE(run_ladder(train + "4, unit: steps}'", dir.path).exit_code == 0);
        const std::string state = dir.path + "/runs/tiny/step4/train/rank0.json";
        auto json = nlohmann::json::parse(ladder::test::read_file(state));
        damage(json);
        ladder::test::write_file(state, json.dump());
        // Recorded in the marker as written, as a bug in the writer would have left it.
        const std::string marker_path = dir.path + "/runs/tiny/step4/.metadata.json";
        auto marker = nlohmann::json::parse(ladder::test::read_file(marker_path));
        marker["files"]["train/rank0.json"] = {{"size", json.dump().size()},
                                               {"crc32c", ladder::crc32c(json.dump())}};
        ladder::test::write_file(marker_path, marker.dump());
        const auto files_of = [&](int step) {
            std::string all;
            for (const char* file : {"model_and_optim/model.pt", "model_and_optim/optim.pt",
                                     "train/rank0.json", ".metadata.json"}) {
                all += ladder::test::read_file(dir.path + "/runs/tiny/step" + std::to_string(step) +
                                               "/" + file);
            }
            return all;
        };
        const std::string step0 = files_of(0), step4 = files_of(4);
        const std::string damaged = "step4/train/rank0.json' is damaged: " + reason;

        const auto strict =
            run_ladder(train + "5, unit: steps}' --trainer.fallback_to_previous=false", dir.path);
        INFO(strict.err);
        CHECK(strict.exit_code == 2);
        CHECK(strict.err.find(damaged) != std::string::npos);
        const auto next = run_ladder(train + "5, unit: steps}'", dir.path);
        INFO(next.out << next.err);
        REQUIRE(next.exit_code == 0);
        CHECK(next.err.find(damaged) != std::string::npos);
        CHECK(next.err.find("; falling back to " + dir.path + "/runs/tiny/step0") !=
              std::string::npos);
        CHECK(next.err.find("resuming from " + dir.path + "/runs/tiny/step0 (step 0)") !=
              std::string::npos);
        CHECK(files_of(0) == step0);
        CHECK(files_of(4) == step4);
    }
}

TEST_CASE("a save never writes over a complete checkpoint and skipped folders are named",
          "[train][checkpoint]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    const std::string train = "train tiny --config tiny.yaml --trainer.hard_stop='{value: ";
    REQUIRE(run_ladder(train + "3, unit: steps}'", dir.path).exit_code == 0);
    const std::string run = dir.path + "/runs/tiny";
    // step3 damaged (falls back to step 0, and its save of step 3 would replace it), step2
    // left by a crash before its marker, step1 a file.
    const std::string weights = run + "/step3/model_and_optim/model.pt";
    const std::string bytes = flip_middle_bit(weights);
    std::filesystem::create_directories(run + "/step2/train");
    ladder::test::write_file(run + "/step2/train/rank0.json", "{}");
    ladder::test::write_file(run + "/step1", "not a checkpoint");

    const auto next = run_ladder(train + "3, unit: steps}'", dir.path);
    INFO(next.out << next.err);
    CHECK(next.exit_code == 2);
    CHECK(next.err.find("ladder: warning: skipping " + run + "/step1: a file, not a folder\n") !=
          std::string::npos);
    CHECK(next.err.find("ladder: warning: skipping " + run +
                        "/step2: no 'model_and_optim/model.pt'\n") != std::string::npos);
    CHECK(next.err.find("ladder: error: checkpoint of step 3 not saved: '" + run +
                        "/step3' already holds a complete checkpoint with other contents; it is "
                        "never overwritten (remove it to save this step again)\n") !=
          std::string::npos);
    CHECK(ladder::test::read_file(weights) == bytes);
    CHECK_FALSE(std::filesystem::exists(run + "/step3-tmp"));
}

TEST_CASE("a checkpoint whose bytes changed after it was written is never loaded",
          "[train][checkpoint]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    const std::string train = "train tiny --config tiny.yaml --trainer.hard_stop='{value: ";
    REQUIRE(run_ladder(train + "2, unit: steps}'", dir.path).exit_code == 0);
    // One bit of one weight flipped: the file still loads as a tensor archive.
    const std::string weights = dir.path + "/runs/tiny/step2/model_and_optim/model.pt";
    const std::string bytes = flip_middle_bit(weights);

    // `checkpoints` trusts the markers; `--verify` re-reads the files (`--discover-all`: step 2
    // is not a planned checkpoint).
    const auto listed = run_ladder("checkpoints tiny --discover-all --config tiny.yaml", dir.path);
    CHECK(listed.out.find("✔ Step 2 ") != std::string::npos);
    const auto verified =
        run_ladder("checkpoints tiny --discover-all --config tiny.yaml --verify", dir.path);
    INFO(verified.out << verified.err);
    CHECK(verified.exit_code == 0);
    CHECK(verified.out.find("✔ Step 0 ") != std::string::npos);
    CHECK(verified.out.find("✘ Step 2 ") != std::string::npos);
    CHECK(verified.out.find("  ↳ '" + weights + "' is damaged: its bytes changed") !=
          std::string::npos);
    const auto json = nlohmann::json::parse(
        run_ladder("checkpoints tiny --discover-all --config tiny.yaml --verify --json", dir.path)
            .out);
    CHECK(json.at("tiny").at(0).at("damaged").is_null());  // step 0
    CHECK(json.at("tiny").at(1).at("damaged").get<std::string>().find("is damaged") !=
          std::string::npos);

    const auto strict =
        run_ladder(train + "3, unit: steps}' --trainer.fallback_to_previous=false", dir.path);
    CHECK(strict.exit_code == 2);
    CHECK(strict.err.find("ladder: error: checkpoint '" + weights +
                          "' is damaged: its bytes changed since it was written (CRC-32C "
                          "mismatch)\n") != std::string::npos);
    const auto fallback = run_ladder(train + "3, unit: steps}'", dir.path);
    INFO(fallback.err);
    CHECK(fallback.exit_code == 0);
    CHECK(fallback.err.find("resuming from " + dir.path + "/runs/tiny/step0 (step 0)") !=
          std::string::npos);
    CHECK(ladder::test::read_file(weights) == bytes);  // left as found, for a person to look at
}

TEST_CASE("activation checkpointing trains to the same bytes as keeping every activation",
          "[train][activation-checkpointing]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    const std::string train = "train tiny --config tiny.yaml --trainer.hard_stop='{value: 6}' ";
    const auto plain = run_ladder(train + "--dir none", dir.path);
    REQUIRE(plain.exit_code == 0);
    CHECK(plain.err.find("activation checkpointing none: 0 of 4 blocks recomputed") !=
          std::string::npos);
    for (const std::string mode : {"full", "selected_blocks"}) {
        const auto run = run_ladder(train + "--dir " + mode +
                                        " --trainer.activation_checkpointing.mode=" + mode +
                                        " --trainer.activation_checkpointing.block_interval=3",
                                    dir.path);
        INFO(run.out << run.err);
        REQUIRE(run.exit_code == 0);
        const std::string recomputed = mode == "full" ? "4 of 4" : "2 of 4";  // blocks 0 and 3
        CHECK(run.err.find("activation checkpointing " + mode + ": " + recomputed +
                           " blocks recomputed") != std::string::npos);
        CHECK(metric_values(run.out, "train/CE loss") == metric_values(plain.out, "train/CE loss"));
        for (const char* file : {"model_and_optim/model.pt", "model_and_optim/optim.pt"}) {
            INFO(file);
            CHECK(ladder::test::read_file(dir.path + "/" + mode + "/tiny/step6/" + file) ==
                  ladder::test::read_file(dir.path + "/none/tiny/step6/" + file));
        }
    }
}
