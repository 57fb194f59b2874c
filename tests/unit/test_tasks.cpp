// Downstream task files as olmo_eval reads them, and their requests as model inputs: left
// truncation, target positions, length-sorted batches, errors that name the file and line.
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "e2e/run_ladder.hpp"
#include "eval/prepared_task.hpp"
#include "eval/task_batches.hpp"
#include "eval/task_requests.hpp"
#include "util/error.hpp"

using namespace ladder;
using ladder::test::TempDir;
using ladder::test::usage_error_of;
using ladder::test::write_file;

namespace {

std::string request_line(int64_t doc, int64_t idx, const std::string& label,
                         const std::string& context = "Q?",
                         const std::string& continuation = " a") {
    return R"({"request_type": "loglikelihood", "request": {"context": ")" + context +
           R"(", "continuation": ")" + continuation + R"("}, "doc_id": )" + std::to_string(doc) +
           R"(, "idx": )" + std::to_string(idx) + R"(, "label": )" + label + "}\n";
}

}  // namespace

TEST_CASE(
    "a query keeps its last tokens; each continuation token is the target of the position "
    "before it",
    "[tasks]") {
    const eval::ScoringRow row = eval::scoring_row({1, 2, 3}, {7, 8}, 16);
    CHECK(row.inputs == std::vector<int32_t>{1, 2, 3, 7});
    CHECK(row.targets == std::vector<int32_t>{-1, -1, 7, 8});
    // Cut from the left to 3 tokens, as olmo_eval's query[-model_ctx_len:].
    const eval::ScoringRow cut = eval::scoring_row({1, 2, 3, 4, 5}, {7, 8, 9}, 3);
    CHECK(cut.inputs == std::vector<int32_t>{5, 7, 8});
    CHECK(cut.targets == std::vector<int32_t>{7, 8, 9});
}

TEST_CASE("batches take the longest rows first, as many as fit the tokens", "[tasks]") {
    std::vector<eval::ScoringRow> rows;
    for (const size_t length : {3, 8, 5, 8, 2, 5})
        rows.push_back({std::vector<int32_t>(length, 1), std::vector<int32_t>(length, -1)});
    const auto batches = eval::length_sorted_batches(rows, 16);
    REQUIRE(batches.size() == 3);
    CHECK(batches[0].rows == std::vector<int64_t>{1, 3});  // 2 x 8
    CHECK(batches[0].length == 8);
    CHECK(batches[1].rows == std::vector<int64_t>{2, 5, 0});  // 3 x 5
    CHECK(batches[2].rows == std::vector<int64_t>{4});
    // A row longer than the batch still gets a batch of its own.
    CHECK(eval::length_sorted_batches(rows, 4).size() == 6);
}

TEST_CASE("task files: requests in order, unconditional ones dropped, the metric from config.json",
          "[tasks]") {
    TempDir dir;
    write_file(dir / "requests.jsonl", request_line(0, 0, "1") +
                                           request_line(0, 1, "1", "Q?", " b\\u00e9") + "\n" +
                                           request_line(1000000, 0, "0") + request_line(1, 0, "0"));
    write_file(dir / "config.json", R"({"task_config": {"primary_metric": "acc_per_char"}})");
    const eval::TaskFile file = eval::read_task_file(dir.path);
    CHECK(file.requests_path == dir / "requests.jsonl");
    REQUIRE(file.requests.size() == 3);
    CHECK(file.requests[1].continuation == " b\xc3\xa9");
    eval::PreparedRequest lengths;
    eval::set_continuation_lengths(lengths, file.requests[1].continuation);  // " bé"
    CHECK(lengths.chars == 3);
    CHECK(lengths.bytes == 4);
    CHECK(lengths.chars_no_leading_space == 2);
    CHECK(lengths.bytes_no_leading_space == 3);
    eval::set_continuation_lengths(lengths, "\xc3\xa9t\xc3\xa9");  // "été": the first is 2 bytes
    CHECK(lengths.chars == 3);
    CHECK(lengths.bytes_no_leading_space == 3);
    CHECK(eval::task_metric_type("t", file, std::nullopt) == eval::MetricType::kLenNorm);
    CHECK(eval::task_metric_type("t", file, std::string("bpb")) == eval::MetricType::kBpb);
    CHECK(usage_error_of([&] { eval::task_metric_type("t", file, std::string("f2")); }) ==
          "trainer.callbacks.downstream_evaluator.metric_types.t: expected acc, len_norm, "
          "pmi_dc, ce_loss or bpb, got 'f2'");
    // BPB scores the gold continuation alone, as cont_id 0.
    const auto gold = eval::scored_requests(file, eval::MetricType::kBpb);
    REQUIRE(gold.size() == 2);
    CHECK(gold[0].continuation == " b\xc3\xa9");
    CHECK(gold[0].cont_id == 0);
    CHECK(eval::scored_requests(file, eval::MetricType::kAcc).size() == 3);
}

TEST_CASE("task files: what cannot be used is named with its file and line", "[tasks]") {
    TempDir dir;
    const auto error_for = [&](const std::string& text) {
        write_file(dir / "r.jsonl", text);
        return usage_error_of([&] { eval::read_task_file(dir / "r.jsonl"); });
    };
    const std::string at = dir / "r.jsonl";
    CHECK(error_for("{oops\n").rfind(at + ":1: not valid JSON", 0) == 0);
    CHECK(error_for(request_line(0, 0, "0") + R"({"request_type": "generate_until"})" + "\n") ==
          at + ":2: request_type 'generate_until' is not scored by log-likelihood (expected "
               "loglikelihood)");
    CHECK(error_for(R"({"request_type": "loglikelihood", "doc_id": 0})"
                    "\n") == at + ":1: expected an integer \"idx\"");
    CHECK(error_for(request_line(0, 0, "0", "Q", "")) == at + ":1: the continuation is empty");
    CHECK(error_for("\n") == "task requests file '" + at + "': no requests");
    CHECK(usage_error_of([&] { eval::read_task_file(dir.path); }) ==
          "task folder '" + dir.path + "': no requests.jsonl.gz or requests.jsonl in it");
    write_file(dir / "r.jsonl", request_line(0, 0, "\"A\""));
    const eval::TaskFile file = eval::read_task_file(dir / "r.jsonl");
    CHECK(usage_error_of([&] { eval::task_metric_type("t", file, std::nullopt); }) ==
          "task t: no config.json with a primary metric beside '" + at +
              "'; set trainer.callbacks.downstream_evaluator.metric_types.t (acc, len_norm, "
              "pmi_dc, ce_loss or bpb)");
    CHECK(usage_error_of([&] { eval::scored_requests(file, eval::MetricType::kAcc); }) ==
          "task requests file '" + at +
              "': doc_id 0 has no integer label, which multiple-choice scoring needs");
}
