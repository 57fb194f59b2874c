// End-to-end: the checkpointer's settings on real runs — which checkpoints are written,
// which are removed, and that writing in the background changes no byte.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/run_ladder.hpp"
#include "e2e/tiny_ladder.hpp"
#include "io/checkpoint_dir.hpp"

using ladder::test::read_file;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_documents;
using ladder::test::write_tiny_run;
using Steps = std::vector<int64_t>;

namespace {

const std::string kCheckpointer = " --trainer.callbacks.checkpointer.";

std::string train_until(int64_t step) {
    return "train tiny --config tiny.yaml --trainer.hard_stop='{value: " + std::to_string(step) +
           ", unit: steps}'";
}

Steps steps_in(const std::string& dir) {
    return ladder::io::find_checkpoints(dir);
}

}  // namespace

TEST_CASE("each removal strategy removes its share of an earlier run's checkpoints",
          "[train][checkpointer]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    // The first run keeps 4 (save_interval) and its final step 5; its ephemeral step 2 goes
    // once step 4 is written.
    const auto first =
        run_ladder(train_until(5) + kCheckpointer + "save_interval=4" + kCheckpointer +
                       "ephemeral_save_interval=2" + kCheckpointer + "ephemeral_cooldown=0",
                   dir.path);
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(first.err.find("ladder: removed old checkpoint " + dir.path + "/runs/tiny/step2\n") !=
          std::string::npos);
    REQUIRE(steps_in(dir.path + "/runs/tiny") == Steps{0, 4, 5});

    // The next run saves every 5 steps and no longer every 4: step 5 is now at the
    // ephemeral interval, step 4 is neither permanent nor ephemeral. Each goes (or stays)
    // once the run has written its final step 7.
    const std::vector<std::pair<std::string, Steps>> expected = {
        {"ephemeral_only", {0, 4, 7}}, {"all_non_permanent", {0, 7}}, {"never", {0, 4, 5, 7}}};
    for (const auto& [strategy, steps] : expected) {
        INFO(strategy);
        std::filesystem::copy(dir.path + "/runs", dir.path + "/" + strategy,
                              std::filesystem::copy_options::recursive);
        const auto next =
            run_ladder(train_until(7) + " --dir " + strategy + kCheckpointer +
                           "ephemeral_save_interval=5" + kCheckpointer + "remove=" + strategy,
                       dir.path);
        INFO(next.out << next.err);
        REQUIRE(next.exit_code == 0);
        CHECK(next.err.find("resuming from " + dir.path + "/" + strategy + "/tiny/step5") !=
              std::string::npos);
        CHECK(steps_in(dir.path + "/" + strategy + "/tiny") == steps);
    }
}

TEST_CASE("a checkpoint written in the background equals one written in the foreground",
          "[train][checkpointer]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    // An ephemeral checkpoint every step: each background write overlaps the next step.
    const std::string every_step =
        kCheckpointer + "ephemeral_save_interval=1" + kCheckpointer + "ephemeral_cooldown=0";
    const auto async = run_ladder(
        train_until(4) + " --dir async" + every_step + kCheckpointer + "save_async=true", dir.path);
    const auto sync = run_ladder(
        train_until(4) + " --dir sync" + every_step + kCheckpointer + "save_async=false", dir.path);
    INFO(async.out << async.err << sync.out << sync.err);
    REQUIRE(async.exit_code == 0);
    REQUIRE(sync.exit_code == 0);
    CHECK(steps_in(dir.path + "/async/tiny") == Steps{0, 4});
    CHECK(steps_in(dir.path + "/sync/tiny") == Steps{0, 4});
    for (const char* step : {"step0", "step4"}) {
        for (const char* file :
             {"model_and_optim/model.pt", "model_and_optim/optim.pt", "train/rank0.json"}) {
            const std::string path = std::string("/tiny/") + step + "/" + file;
            INFO(path);
            CHECK(read_file(dir.path + "/async" + path) == read_file(dir.path + "/sync" + path));
        }
    }
}

TEST_CASE("pre_train_checkpoint, max_checkpoints and enabled decide what is kept",
          "[train][checkpointer]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    const auto capped =
        run_ladder(train_until(6) + kCheckpointer + "save_interval=2" + kCheckpointer +
                       "max_checkpoints=2" + kCheckpointer + "pre_train_checkpoint=false" +
                       kCheckpointer + "ephemeral_save_interval=null",
                   dir.path);
    INFO(capped.out << capped.err);
    REQUIRE(capped.exit_code == 0);
    CHECK(steps_in(dir.path + "/runs/tiny") == Steps{4, 6});

    // Disabled, the checkpointer writes nothing, but the run still resumes and the metrics
    // files are still written.
    const auto disabled = run_ladder(train_until(8) + kCheckpointer + "enabled=false", dir.path);
    INFO(disabled.out << disabled.err);
    REQUIRE(disabled.exit_code == 0);
    CHECK(disabled.err.find("resuming from " + dir.path + "/runs/tiny/step6") != std::string::npos);
    CHECK(steps_in(dir.path + "/runs/tiny") == Steps{4, 6});
    const auto metrics = nlohmann::json::parse(read_file(dir.path + "/runs/tiny/metrics.json"));
    CHECK(metrics.contains("train/CE loss"));

    const auto contradictory = run_ladder(train_until(2) + kCheckpointer + "save_interval=5" +
                                              kCheckpointer + "ephemeral_save_interval=5",
                                          dir.path);
    ladder::test::require_usage_error(
        contradictory,
        "trainer.callbacks.checkpointer.ephemeral_save_interval: expected less than "
        "save_interval (5), got 5");
    CHECK_FALSE(std::filesystem::exists(dir.path + "/runs/tiny/step3"));  // nothing trained
}

TEST_CASE("eval_interval adds evaluations; metrics_to_capture filters the metrics files",
          "[train][checkpointer]") {
    TempDir dir;
    write_tiny_run(dir.path, 4096);
    write_documents(dir.path + "/v.u16", 8, 2, 512, 0);
    const auto r = run_ladder(
        train_until(4) +
            " --data.validation='{held: [v.u16]}' "
            "--trainer.callbacks.lm_evaluator.eval_interval=2 "
            "--trainer.callbacks.metric_saver.metrics_to_capture='[\"train/CE*\", \"eval/*\"]'",
        dir.path);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("ladder: eval at step 2: eval/lm/held/CE loss=") != std::string::npos);
    CHECK(r.err.find("ladder: eval at step 4: eval/lm/held/CE loss=") != std::string::npos);
    CHECK(r.err.find("ladder: eval at step 3") == std::string::npos);
    const auto metrics = nlohmann::json::parse(read_file(dir.path + "/runs/tiny/metrics.json"));
    std::vector<std::string> keys;
    for (const auto& item : metrics.items())
        keys.push_back(item.key());
    CHECK(keys ==
          std::vector<std::string>{"eval/lm/held/CE loss", "eval/lm/held/PPL", "train/CE loss"});
}

TEST_CASE("a checkpoint that cannot be written ends the run with one line and keeps the others",
          "[train][checkpointer]") {
    for (const char* async : {"true", "false"}) {
        INFO("save_async=" << async);
        TempDir dir;
        write_tiny_run(dir.path, 4096);
        REQUIRE(run_ladder(train_until(2), dir.path).exit_code == 0);
        const std::string weights =
            read_file(dir.path + "/runs/tiny/step2/model_and_optim/model.pt");
        // Files of at most 1 MB (ulimit -f counts 512-byte blocks): model.pt of step 4 is
        // ~4.6 MB, so its write fails with EFBIG.
        const std::string command = "cd '" + dir.path + "' && (ulimit -f 2000; '" + LADDER_BINARY +
                                    "' " + train_until(4) + kCheckpointer + "save_async=" + async +
                                    " >out.txt 2>err.txt; echo $? >code.txt)";
        REQUIRE(std::system(command.c_str()) == 0);
        const std::string err = read_file(dir.path + "/err.txt");
        INFO(err);
        CHECK(read_file(dir.path + "/code.txt") == "1\n");
        CHECK(ladder::test::count_of(err,
                                     "\nladder: failed: checkpoint of step 4 not saved: "
                                     "cannot write '") == 1);
        CHECK(err.find("step4-tmp/model_and_optim/model.pt': File too large\n") !=
              std::string::npos);
        CHECK(err.find("terminate") == std::string::npos);
        CHECK(steps_in(dir.path + "/runs/tiny") == Steps{0, 2});
        CHECK_FALSE(std::filesystem::exists(dir.path + "/runs/tiny/step4-tmp"));
        CHECK(read_file(dir.path + "/runs/tiny/step2/model_and_optim/model.pt") == weights);
    }
}
