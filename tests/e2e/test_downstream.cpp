// End-to-end: downstream tasks in olmo_eval's request format, prepared with a tiny
// SentencePiece model trained here, evaluated during training at the planned checkpoint and
// saved in its metrics file; two ranks give the metrics of one.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "e2e/run_ladder.hpp"
#include "e2e/spm_model.hpp"
#include "e2e/tiny_ladder.hpp"

using ladder::test::make_sentences;
using ladder::test::read_file;
using ladder::test::require_usage_error;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::train_model;
using ladder::test::write_file;
using ladder::test::write_tiny_run;

namespace {

// Which of three sentences follows a sentence: 12 documents, the true one at a rotating index.
void write_task(const std::string& folder) {
    const auto sentences = make_sentences(60);
    std::string lines;
    for (int doc = 0; doc < 12; ++doc) {
        const int gold = doc % 3;
        for (int idx = 0; idx < 3; ++idx) {
            const std::string& next = sentences[idx == gold ? 5 * doc + 1 : 5 * doc + 2 + idx];
            const nlohmann::json request = {
                {"request_type", "loglikelihood"},
                {"request", {{"context", sentences[5 * doc]}, {"continuation", " " + next}}},
                {"doc_id", doc},
                {"idx", idx},
                {"label", gold}};
            lines += request.dump() + "\n";
        }
    }
    write_file(folder + "/requests.jsonl", lines);
    write_file(folder + "/config.json", R"({"task_config": {"primary_metric": "acc_per_char"}})");
}

const std::string kTrain =
    "train tiny --config tiny.yaml --tokenizer.path=tiny.model "
    "--data.downstream='{next: task}' --trainer.hard_stop='{value: 12, unit: steps}' ";

}  // namespace

TEST_CASE("downstream tasks are evaluated at the planned checkpoint, the same on 2 ranks as on 1",
          "[train][downstream]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    train_model(dir.path, "tiny", 2);
    std::filesystem::create_directories(dir / "task");
    write_task(dir / "task");

    const auto one = run_ladder(kTrain + "--dir one", dir.path);
    INFO(one.out << one.err);
    REQUIRE(one.exit_code == 0);
    CHECK(one.out.find("Task next (len_norm): 36 requests prepared into '" + (dir / "one") +
                       "/tasks/next.json'") != std::string::npos);
    CHECK(one.err.find("ladder: downstream eval at step 10: eval/downstream/next (BPB v2)=") !=
          std::string::npos);
    const auto metrics = nlohmann::json::parse(read_file(dir / "one/tiny/metrics_step10.json"));
    const std::vector<std::string> names = {"length-normalized accuracy",
                                            "length-normalized accuracy v2",
                                            "CE loss",
                                            "CE loss v2",
                                            "BPB",
                                            "BPB v2",
                                            "soft loss",
                                            "log soft loss v2"};
    for (const std::string& name : names) {
        INFO(name);
        REQUIRE(metrics.contains("eval/downstream/next (" + name + ")"));
    }
    const double accuracy = metrics["eval/downstream/next (length-normalized accuracy)"];
    CHECK(accuracy * 12 == Approx(std::round(accuracy * 12)));  // a count of 12 documents
    CHECK(metrics["eval/downstream/next (BPB)"].get<double>() > 0);

    // `ladder eval` on the same checkpoint gives the in-loop numbers bit for bit, and keeps
    // the file's other metrics.
    const std::string path = dir / "one/tiny/metrics_step10.json";
    nlohmann::json changed = metrics;
    for (const std::string& name : names)
        changed["eval/downstream/next (" + name + ")"] = -1.0;
    write_file(path, changed.dump(2));
    const auto again = run_ladder(
        "eval tiny --config tiny.yaml --tokenizer.path=tiny.model --data.downstream='{next: task}' "
        "--dir one --all-steps",
        dir.path);
    INFO(again.out << again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(again.err.find("ladder: merged 10 metrics into " + path) != std::string::npos);
    CHECK(nlohmann::json::parse(read_file(path)) == metrics);
    require_usage_error(run_ladder("eval tiny --config tiny.yaml --tokenizer.path=tiny.model "
                                   "--data.downstream='{next: task}' --dir one --step 7",
                                   dir.path),
                        "--step 7: no complete checkpoint of that step in '" + (dir / "one/tiny") +
                            "' (it has steps ");
    require_usage_error(run_ladder("eval tiny --config tiny.yaml --dir one --lm", dir.path),
                        "--lm: data.validation names no validation sets");

    const auto two = run_ladder(kTrain + "--nproc-per-node 2 --dir two", dir.path);
    INFO(two.out << two.err);
    REQUIRE(two.exit_code == 0);
    const auto metrics2 = nlohmann::json::parse(read_file(dir / "two/tiny/metrics_step10.json"));
    for (const std::string& name : names) {
        INFO(name);
        const std::string key = "eval/downstream/next (" + name + ")";
        CHECK(metrics2[key].get<double>() == Approx(metrics[key].get<double>()).epsilon(1e-4));
    }
}

TEST_CASE("downstream tasks need a tokenizer file and a metric type", "[downstream]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    std::filesystem::create_directories(dir / "task");
    write_task(dir / "task");
    require_usage_error(run_ladder("prepare-tasks --config tiny.yaml --data.downstream='{next: "
                                   "task}'",
                                   dir.path),
                        "tokenizer.path: required to evaluate the tasks of data.downstream");
    train_model(dir.path, "tiny", 2);
    write_file(dir / "task/config.json", "{}");
    const auto r = run_ladder(
        "train tiny --config tiny.yaml --tokenizer.path=tiny.model --data.downstream='{next: "
        "task}'",
        dir.path);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("task next: no config.json with a primary metric") != std::string::npos);
    CHECK(!std::filesystem::exists(dir / "runs/tiny"));  // nothing trained
}
