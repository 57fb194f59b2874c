// `ladder fit`'s input: the metrics table as CSV or JSON Lines, the messages that echo its
// text, and the checks of accuracies and options before anything is fitted.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "e2e/run_ladder.hpp"
#include "fit/fit_report.hpp"
#include "fit/text_table.hpp"
#include "util/error.hpp"

using Catch::Matchers::Contains;
using ladder::UsageError;
using ladder::fit::FitRequest;
using ladder::fit::parse_csv_table;
using ladder::fit::parse_jsonl_table;
using ladder::fit::TableFormat;
using ladder::fit::TextTable;

namespace {

// The message of the UsageError `read` throws; fails the test when it throws none.
template <class Read>
std::string usage_error_of(Read&& read) {
    try {
        read();
    } catch (const UsageError& e) {
        return e.what();
    }
    FAIL("no UsageError");
    return "";
}

std::string jsonl_error(const std::string& text) {
    return usage_error_of([&] { parse_jsonl_table(text, "t.jsonl"); });
}

// Characters (code points) of UTF-8 text.
size_t characters(const std::string& text) {
    size_t count = 0;
    for (char c : text)
        count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return count;
}

double chinchilla(double n, double d) {
    return 1.69 + 406.4 / std::pow(n, 0.34) + 410.7 / std::pow(d, 0.28);
}

// A four-way multiple-choice task's accuracy from its loss.
double task_accuracy(double loss) {
    return 1 - 0.75 / (1 + std::exp(-4 * (loss - 3)));
}

// A CSV of `sizes` x `steps` rows on Chinchilla's law, with an accuracy column `acc`.
std::string ladder_csv(int sizes, int steps) {
    std::string csv = "name,step,tokens,size,num_params,eval/lm/held/CE loss,acc\n";
    for (int s = 1; s <= sizes; ++s) {
        for (int k = 1; k <= steps; ++k) {
            const double n = 1e7 * s * s, d = 2e8 * k * s, loss = chinchilla(n, d);
            csv += "\"period " + std::to_string(k) + ", post-decay\"," + std::to_string(k) + "," +
                   std::to_string(static_cast<int64_t>(d)) + ",s" + std::to_string(s) + "," +
                   std::to_string(static_cast<int64_t>(n)) + "," + std::to_string(loss) + "," +
                   std::to_string(task_accuracy(loss)) + "\n";
        }
    }
    return csv;
}

}  // namespace

TEST_CASE("a JSONL table reads as the same cells as its CSV", "[fit]") {
    const TextTable csv = parse_csv_table(
        "name,step,tokens,size,num_params,eval/lm/a/CE loss\n"
        "\"period 1, 1xC post-decay\",10,40960,60M,57000000,3.25\n"
        "\"period 2, 2xC pre-decay\",20,81920,60M,57000000,\n",
        "t.csv");
    const TextTable jsonl = parse_jsonl_table(
        "{\"name\": \"period 1, 1xC post-decay\", \"step\": 10, \"tokens\": 40960, \"size\": "
        "\"60M\", \"num_params\": 57000000, \"eval/lm/a/CE loss\": 3.25}\n"
        "\n"  // a blank line: skipped, but counted
        "{\"eval/lm/a/CE loss\": null, \"name\": \"period 2, 2xC pre-decay\", \"step\": 20, "
        "\"tokens\": 81920, \"size\": \"60M\", \"num_params\": 5.7e7}\n",
        "t.jsonl");
    CHECK(jsonl.header == csv.header);  // in the order the keys first appear
    REQUIRE(jsonl.rows() == 2);
    REQUIRE(csv.rows() == 2);
    for (size_t row = 0; row < 2; ++row) {
        for (size_t column = 0; column < csv.header.size(); ++column) {
            INFO("row " << row << ", column " << csv.header[column]);
            if (column == 4 && row == 1)
                CHECK(jsonl.cell(row, column) == "5.7e7");  // a number keeps its text
            else
                CHECK(jsonl.cell(row, column) == csv.cell(row, column));
        }
    }
    CHECK(jsonl.number(1, 4) == 5.7e7);
    CHECK(jsonl.cell(1, 5).empty());  // null: no value, as an empty CSV field
    CHECK(csv.where(1) == "'t.csv' row 2");
    CHECK(jsonl.where(1) == "'t.jsonl' line 3");
}

TEST_CASE("a JSONL line that is not one flat object of the right types names file and line",
          "[fit]") {
    const std::string good = "{\"name\": \"a\", \"tokens\": 100}\n";
    CHECK_THAT(jsonl_error(good + "[1, 2]\n"),
               Contains("'t.jsonl' line 2: expected a JSON object, got an array"));
    CHECK_THAT(jsonl_error(good + "\n5\n"),
               Contains("'t.jsonl' line 3: expected a JSON object, got the number 5"));
    CHECK_THAT(jsonl_error(good + "{\"name\": \"b\", \"tokens\": \"100\"}\n"),
               Contains("'t.jsonl' line 2: \"tokens\" is the string \"100\", expected a number "
                        "or null"));
    CHECK_THAT(jsonl_error("{\"size\": 7}\n"),
               Contains("line 1: \"size\" is the number 7, expected a string"));
    CHECK_THAT(jsonl_error("{\"tokens\": true}\n"),
               Contains("line 1: \"tokens\" is true, expected a number or null"));
    CHECK_THAT(jsonl_error("{\"tokens\": [1]}\n"),
               Contains("line 1: \"tokens\" is an array, expected a number or null"));
    CHECK_THAT(jsonl_error("{\"tokens\": {\"a\": 1}}\n"),
               Contains("line 1: \"tokens\" is an object, expected a number or null"));
    CHECK_THAT(jsonl_error("{\"tokens\": 1, \"tokens\": 2}\n"),
               Contains("line 1: \"tokens\" appears twice"));
    CHECK_THAT(jsonl_error(good + "{\"tokens\": 1\n"), Contains("'t.jsonl' line 2: column 13"));
    CHECK_THAT(jsonl_error("{\"tokens\": 1e999}\n"), Contains("line 1: number overflow"));
    CHECK_THAT(jsonl_error(""), Contains("'t.jsonl' is empty"));

    // Bytes that are not UTF-8: refused by the parser, and shown escaped, so the message
    // itself is text.
    const std::string bad_utf8 = jsonl_error("{\"name\": \"ab\xff\xfe\"}\n");
    CHECK_THAT(bad_utf8,
               Contains("'t.jsonl' line 1: column") && Contains("UTF-8") && Contains("\\xff"));
    CHECK(bad_utf8.find('\xff') == std::string::npos);
}

TEST_CASE("JSONL lines read the same whether plain or with escapes, and odd numbers are refused",
          "[fit]") {
    // Plain lines take a quick path, others nlohmann's parser: the cells must not differ.
    const TextTable table = parse_jsonl_table(
        "{\"name\": \"a\\\"b\", \"size\": \"caf\\u00e9\", \"tokens\": 1}\n"
        "{\"name\":\"plain\",\"size\":\"60M\",\"tokens\":-0.5e-3}\n"
        "  { \"tokens\" : 2E+5 , \"name\" : null }  \n"
        "{\"name\": \"caf\xc3\xa9\", \"tokens\": 0}\n",
        "t.jsonl");
    REQUIRE(table.rows() == 4);
    CHECK(table.cell(0, 0) == "a\"b");
    CHECK(table.cell(0, 1) == "caf\xc3\xa9");
    CHECK(table.cell(1, 0) == "plain");
    CHECK(table.cell(1, 2) == "-0.5e-3");
    CHECK(table.cell(2, 2) == "2E+5");
    CHECK(table.cell(2, 0).empty());
    CHECK(table.cell(3, 0) == "caf\xc3\xa9");
    for (const std::string value : {"01", "1.", ".5", "+1", "1e", "-", "nul", "1 2", "0x10"}) {
        INFO(value);
        CHECK_THAT(jsonl_error("{\"tokens\": " + value + "}\n"),
                   Contains("'t.jsonl' line 1: column"));
    }
    CHECK_THAT(jsonl_error("{\"tokens\": 1, }\n"), Contains("'t.jsonl' line 1: column"));
    CHECK_THAT(jsonl_error("{\"tokens\": 1} x\n"), Contains("'t.jsonl' line 1: column"));
    CHECK_THAT(jsonl_error("{\"tokens\": 1}{}\n"), Contains("'t.jsonl' line 1: column"));
}

TEST_CASE("the format follows the extension, else the content", "[fit]") {
    using ladder::fit::table_format_of;
    CHECK(table_format_of("m.jsonl", "name,step\n") == TableFormat::jsonl);
    CHECK(table_format_of("m.csv", "{\"name\": 1}\n") == TableFormat::csv);
    CHECK(table_format_of("metrics.txt", "\n  {\"name\": \"a\"}\n") == TableFormat::jsonl);
    CHECK(table_format_of("metrics", "name,step\n") == TableFormat::csv);
}

TEST_CASE("read_table reads either format and refuses what is not a regular file", "[fit]") {
    ladder::test::TempDir dir;
    ladder::test::write_file(dir / "m.txt", "{\"tokens\": 5}\n");
    CHECK(ladder::fit::read_table(dir / "m.txt").row_word == "line");
    ladder::test::write_file(dir / "m.csv", "\xEF\xBB\xBFtokens\n5\n");  // a byte order mark
    CHECK(ladder::fit::read_table(dir / "m.csv").header == std::vector<std::string>{"tokens"});
    REQUIRE(mkfifo((dir / "fifo").c_str(), 0600) == 0);
    CHECK_THAT(usage_error_of([&] { ladder::fit::read_table(dir / "fifo"); }),
               Contains("fifo' is a FIFO, not a regular file"));
    CHECK_THAT(usage_error_of([&] { ladder::fit::read_table(dir.path); }),
               Contains("' is a folder, expected a file"));
    CHECK_THAT(usage_error_of([&] { ladder::fit::read_table(dir / "none.csv"); }),
               Contains("metrics table '") && Contains("none.csv': no such file"));
    CHECK_THAT(usage_error_of([&] { ladder::fit::read_table("/dev/null"); }),
               Contains("'/dev/null' is a device, not a regular file"));
}

TEST_CASE("echoed text is escaped and cut to stay one short line", "[fit]") {
    using ladder::fit::shown;
    using ladder::fit::shown_path;
    CHECK(shown("plain") == "plain");
    CHECK(shown("a\nb\tc\x01") == "a\\nb\\tc\\x01");
    CHECK(shown("caf\xc3\xa9 \xff") == "caf\xc3\xa9 \\xff");  // é kept, a stray byte escaped
    CHECK(shown("\xe2\x82") == "\\xe2\\x82");                 // a sequence cut short
    const std::string long_text(500, 'x');
    CHECK(shown(long_text, 40) == std::string(39, 'x') + "…");
    CHECK(characters(shown(std::string(100, '\n'), 40)) <= 40);
    CHECK(shown(std::string(40, 'y'), 40) == std::string(40, 'y'));  // fits: not cut
    // Never half a character before the cut.
    std::string accents;
    for (int i = 0; i < 50; ++i)
        accents += "\xc3\xa9";
    CHECK(shown(accents, 10) == accents.substr(0, 18) + "…");

    const std::string path = "/" + std::string(200, 'd') + "/metrics.jsonl";
    CHECK(characters(shown_path(path)) == 80);
    CHECK(shown_path(path).rfind("…", 0) == 0);
    CHECK(shown_path(path).find("/metrics.jsonl") != std::string::npos);
    CHECK(shown_path("runs/metrics.csv") == "runs/metrics.csv");
}

TEST_CASE("an accuracy outside [0, 1] is refused naming file, row and column", "[fit]") {
    FitRequest request;
    request.accuracy_column = "acc";
    const std::string csv = ladder_csv(3, 4);
    CHECK_NOTHROW(ladder::fit::fit_report(parse_csv_table(csv, "t.csv"), request));
    for (const std::string value : {"1.5", "-0.1", "nan", "inf"}) {
        INFO(value);
        std::string bad = csv;
        bad.replace(bad.rfind(','), std::string::npos, "," + value + "\n");  // the last row's
        CHECK_THAT(
            usage_error_of(
                [&] { ladder::fit::fit_report(parse_csv_table(bad, "t.csv"), request); }),
            Contains("'t.csv' row 12, column 'acc': expected an accuracy in [0, 1], got " + value));
    }
    const TextTable jsonl = parse_jsonl_table(
        "{\"tokens\": 100, \"num_params\": 10, \"eval/lm/a/CE loss\": 3, \"acc\": 0.5}\n"
        "{\"tokens\": 200, \"num_params\": 10, \"eval/lm/a/CE loss\": 3, \"acc\": 100}\n",
        "t.jsonl");
    CHECK_THAT(usage_error_of([&] { ladder::fit::fit_report(jsonl, request); }),
               Contains("'t.jsonl' line 2, column 'acc': expected an accuracy in [0, 1], got 100"));
}

TEST_CASE("options that make the fit meaningless are refused as options", "[fit]") {
    const TextTable table = parse_csv_table(ladder_csv(3, 4), "t.csv");
    const auto error_of = [&table](const FitRequest& request) {
        return usage_error_of([&] { ladder::fit::fit_report(table, request); });
    };
    FitRequest request;
    request.accuracy_column = "acc";
    request.accuracy_max = 0.25;
    CHECK_THAT(error_of(request), Contains("--accuracy-max 0.25 is at or below --chance 0.25"));
    request.accuracy_max = 0.2;
    CHECK_THAT(error_of(request), Contains("--accuracy-max 0.2 is at or below --chance 0.25"));
    request.accuracy_max = 1.5;
    CHECK_THAT(error_of(request),
               Contains("--accuracy-max: expected an accuracy in [0, 1], got 1.5"));
    request.accuracy_max = 1;
    request.chance = -0.25;
    CHECK_THAT(error_of(request), Contains("--chance: expected an accuracy in [0, 1], got -0.25"));
    request = FitRequest{};
    request.huber_delta = 0;
    CHECK_THAT(error_of(request), Contains("--huber-delta: expected a positive number, got 0"));
    request.huber_delta = NAN;
    CHECK_THAT(error_of(request), Contains("--huber-delta: expected a positive number, got nan"));
}

TEST_CASE("rows that barely determine the law give a warning, and the fit still runs", "[fit]") {
    FitRequest request;
    const auto few = ladder::fit::fit_report(parse_csv_table(ladder_csv(2, 4), "t.csv"), request);
    REQUIRE(few.warnings.size() == 1);
    CHECK(few.warnings[0] == "the loss law's 5 parameters are barely determined by only 8 rows");

    const auto one_size =
        ladder::fit::fit_report(parse_csv_table(ladder_csv(1, 12), "t.csv"), request);
    REQUIRE(one_size.warnings.size() == 1);
    CHECK(one_size.warnings[0] ==
          "the loss law's 5 parameters are barely determined by a "
          "single model size (N 10M)");

    const auto enough =
        ladder::fit::fit_report(parse_csv_table(ladder_csv(3, 4), "t.csv"), request);
    CHECK(enough.warnings.empty());
    CHECK(enough.fit.converged);

    request.accuracy_column = "acc";
    const auto sigmoid =
        ladder::fit::fit_report(parse_csv_table(ladder_csv(3, 2), "t.csv"), request);
    CHECK(sigmoid.warnings.back() ==
          "the accuracy sigmoid's 4 parameters are barely determined "
          "by only 6 rows of 'acc'");
}
