// Reading metrics.jsonl: rows by step, nulls, a resumed run's repeated steps, and the
// lines that are errors.
#include <catch2/catch.hpp>
#include <sstream>

#include "io/metrics_log.hpp"
#include "util/error.hpp"

using ladder::UsageError;
using ladder::io::MetricsLog;
using ladder::io::parse_metrics_log;

namespace {

const char* const kSource = "runs/1M/metrics.jsonl";

MetricsLog parse(const std::string& text) {
    std::istringstream in(text);
    return parse_metrics_log(in, kSource, [](const std::string& name) {
        return name.find("CE loss") != std::string::npos;
    });
}

// The message of the UsageError parsing `text` throws ("" when it throws none).
std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a metrics log reads into one row per step with the kept metrics", "[plot_metrics]") {
    const MetricsLog log = parse(
        R"j({"step": 1, "tokens": 4096, "optim/LR (group 0)": 0.0006, "train/CE loss": 9.01})j"
        "\n"
        "\n"
        R"j({"step": 2, "tokens": 8192, "train/CE loss": 8.5, "eval/lm/sotu/CE loss": 8.75})j"
        "\n");
    REQUIRE(log.rows.size() == 2);
    CHECK(log.rows[0].step == 1);
    CHECK(log.rows[0].tokens == 4096);
    CHECK(log.rows[0].metrics.size() == 1);  // the LR is not kept
    CHECK(log.rows[0].metrics.at("train/CE loss") == 9.01);
    CHECK(log.rows[1].tokens == 8192);
    CHECK(log.rows[1].metrics.at("eval/lm/sotu/CE loss") == 8.75);
    CHECK(log.names ==
          std::vector<std::string>{"eval/lm/sotu/CE loss", "optim/LR (group 0)", "train/CE loss"});
}

TEST_CASE("a null metric reads as a missing value, not as a number", "[plot_metrics]") {
    const MetricsLog log = parse(R"j({"step": 7, "tokens": 28672, "train/CE loss": null})j"
                                 "\n");
    REQUIRE(log.rows.size() == 1);
    REQUIRE(log.rows[0].metrics.count("train/CE loss") == 1);
    CHECK_FALSE(log.rows[0].metrics.at("train/CE loss").has_value());
}

TEST_CASE("a resumed run's repeated steps keep the later line, rows sorted by step",
          "[plot_metrics]") {
    const MetricsLog log = parse(R"j({"step": 10, "tokens": 100, "train/CE loss": 5})j"
                                 "\n"
                                 R"j({"step": 20, "tokens": 200, "train/CE loss": 4})j"
                                 "\n"
                                 R"j({"step": 15, "tokens": 150, "train/CE loss": 4.6})j"
                                 "\n"
                                 R"j({"step": 20, "tokens": 200, "train/CE loss": 3.9})j"
                                 "\n");
    REQUIRE(log.rows.size() == 3);
    CHECK(log.rows[1].step == 15);
    CHECK(log.rows[2].step == 20);
    CHECK(log.rows[2].metrics.at("train/CE loss") == 3.9);
}

TEST_CASE("a malformed line is an error naming the file and the line number", "[plot_metrics]") {
    const std::string good = R"j({"step": 1, "tokens": 4096, "train/CE loss": 9.0})j"
                             "\n";
    const std::string at_line_2 = std::string("'") + kSource + "' line 2: ";
    CHECK(error_of(good + "{\"step\": 2, \"tokens\": \n" + good) ==
          "malformed metrics log " + at_line_2 +
              "column 23: syntax error while parsing value - unexpected end of input; "
              "expected '[', '{', or a literal");
    CHECK(error_of(good + "[1, 2]\n") ==
          "malformed metrics log " + at_line_2 + "expected a JSON object, got array");
    CHECK(error_of(good + R"j({"tokens": 8192})j"
                          "\n") == "malformed metrics log " + at_line_2 + "no \"step\"");
    CHECK(error_of(good + R"j({"step": 2.5, "tokens": 8192})j"
                          "\n") ==
          "malformed metrics log " + at_line_2 + "\"step\" is 2.5, not a whole number >= 0");
    CHECK(error_of(good + R"j({"step": 2, "tokens": -1})j"
                          "\n") ==
          "malformed metrics log " + at_line_2 + "\"tokens\" is -1, not a whole number >= 0");
    CHECK(error_of(good + R"j({"step": 2, "tokens": 18446744073709551615})j"
                          "\n")
              .find("not a whole number") != std::string::npos);
    CHECK(error_of(good + R"j({"step": 2, "tokens": 8192, "train/CE loss": "NaN"})j"
                          "\n") == "malformed metrics log " + at_line_2 +
                                       "metric 'train/CE loss' is string, not a number or null");
    // A metric that is not kept is checked all the same.
    CHECK(error_of(good + R"j({"step": 2, "tokens": 8192, "optim/LR (group 0)": true})j"
                          "\n")
              .find("metric 'optim/LR (group 0)' is boolean") != std::string::npos);
}

TEST_CASE("an unfinished last line (no newline yet) is left out; a finished one is an error",
          "[plot_metrics]") {
    const std::string good = R"j({"step": 1, "tokens": 4096, "train/CE loss": 9.0})j"
                             "\n";
    const std::string cut = R"j({"step": 2, "tokens": 81)j";
    CHECK(parse(good + cut).rows.size() == 1);
    CHECK(error_of(good + cut + "\n").find("line 2") != std::string::npos);
    CHECK(error_of(cut + "\n" + good).find("line 1") != std::string::npos);
}

TEST_CASE("a metrics log that cannot be opened is a usage error naming it", "[plot_metrics]") {
    try {
        ladder::io::read_metrics_log("/nonexistent/metrics.jsonl",
                                     [](const std::string&) { return true; });
        FAIL("no error");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()) == "cannot read metrics log '/nonexistent/metrics.jsonl'");
    }
}
