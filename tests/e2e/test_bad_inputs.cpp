// Bad input of every kind, generated at run time: config files, overrides of every key,
// data, token files, tables and paths, command lines. Each must end with its exit code (2:
// the user's mistake), exactly one line on stderr without a backtrace, nothing written or
// removed in the folder it ran in, and no hang.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

#include "e2e/run_ladder.hpp"
#include "e2e/tiny_ladder.hpp"
#include "unit/yaml_samples.hpp"

using ladder::test::alias_bomb;
using ladder::test::Result;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_file;

namespace {

namespace fs = std::filesystem;

struct BadInput {
    std::string what;  // the mistake, for the failure message
    std::string args;  // shell words after `ladder`
    int exit_code = 2;
    std::string config;  // written to bad.yaml first, when not empty
};

// Every entry below `dir` with its type, size and modification time.
std::map<std::string, std::string> snapshot(const std::string& dir) {
    std::map<std::string, std::string> entries;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        const fs::file_status status = entry.symlink_status();
        std::ostringstream description;
        description << static_cast<int>(status.type());
        if (status.type() == fs::file_type::regular) {
            description << " " << entry.file_size() << " "
                        << entry.last_write_time().time_since_epoch().count();
        }
        entries[entry.path().string()] = description.str();
    }
    return entries;
}

// The folder every case runs in: a tiny ladder with its data, and files of every kind.
struct Workspace {
    TempDir tmp;
    const std::string& dir = tmp.path;

    Workspace() {
        ladder::test::write_tiny_run(dir, 4096);
        write_file(dir + "/text.txt", "hello\n");
        write_file(dir + "/empty.u16", "");
        write_file(dir + "/odd.u16", "abc");
        fs::create_directories(dir + "/folder");
        REQUIRE(mkfifo((dir + "/fifo").c_str(), 0644) == 0);
        write_file(dir + "/table.csv", "params,tokens,loss\n1e6,2e7,4.1\n");
        // A run with metrics at step 4, for the commands that collect them.
        for (const char* file : {".metadata.json", "train/rank0.json", "model_and_optim/model.pt",
                                 "model_and_optim/optim.pt"})
            write_file(dir + "/runs/tiny/step4/" + file, "x");
        write_file(dir + "/runs/tiny/metrics_step4.json", "{\"train/CE loss\": 3.2}");
        fs::create_directories(dir + "/folder.csv");
        REQUIRE(mkfifo((dir + "/fifo.csv").c_str(), 0644) == 0);
    }
};

void check(const Workspace& space, const BadInput& input) {
    if (!input.config.empty())
        write_file(space.dir + "/bad.yaml", input.config);
    const auto before = snapshot(space.dir);
    // No case may wait: a hang ends here with exit 124, which fails the check below.
    const Result r = run_ladder(input.args, space.dir, "timeout -k 2 60");
    INFO("case: " << input.what << "\nladder " << input.args.substr(0, 300)
                  << "\nexit: " << r.exit_code << "\nstderr: " << r.err.substr(0, 2000));
    CHECK(r.exit_code == input.exit_code);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.size() <= 301);
    CHECK(r.err.rfind(input.exit_code == 2 ? "ladder: error: " : "ladder: failed: ", 0) == 0);
    CHECK(r.err.find("terminate called") == std::string::npos);
    CHECK(r.err.find("Exception raised from") == std::string::npos);
    CHECK(snapshot(space.dir) == before);
}

// A YAML value that `type` (as help-config writes it) cannot take.
std::vector<std::string> wrong_values(std::string type) {
    const std::string or_null = " or null";
    if (type.size() > or_null.size() &&
        type.compare(type.size() - or_null.size(), or_null.size(), or_null) == 0)
        type.resize(type.size() - or_null.size());
    if (type == "integer")
        return {"abc", "1.5", ".inf", "1e400", "[1]"};
    if (type == "number")
        return {".nan", "-.inf", "{a: 1}", "\"1\""};  // quoted: a string
    if (type == "boolean")
        return {"maybe", "[true]"};
    if (type == "string")
        return {"[a]", "{a: b}"};
    if (type.rfind("list of ", 0) == 0)
        return {"{a: 1}"};
    if (type == "mapping")
        return {"[1, 2]"};
    return {};
}

// Every key help-config lists, with its type: "run.lr_multiplier  (number, default 1.0)".
std::vector<std::pair<std::string, std::string>> config_keys() {
    const Result help = run_ladder("help-config");
    REQUIRE(help.exit_code == 0);
    std::vector<std::pair<std::string, std::string>> keys;
    std::istringstream lines(help.out);
    for (std::string line; std::getline(lines, line);) {
        const size_t open = line.find("  (");
        if (line.empty() || line[0] == ' ' || open == std::string::npos)
            continue;
        const size_t end = line.find(", default", open);
        keys.emplace_back(line.substr(0, open), line.substr(open + 3, end - open - 3));
    }
    return keys;
}

std::string repeated(const std::string& piece, int times) {
    std::string out;
    for (int i = 0; i < times; ++i)
        out += piece;
    return out;
}

// `n` bytes from a fixed generator: most are not UTF-8, some not even text.
std::string garbage(int n, uint64_t seed) {
    std::string bytes;
    for (int i = 0; i < n; ++i) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        bytes += static_cast<char>(seed >> 56);
    }
    return bytes;
}

std::vector<BadInput> config_file_cases() {
    const std::string run = "dry-run tiny --no-plot --config bad.yaml";
    std::vector<BadInput> cases = {
        {"empty config file", run, 2, " "},
        {"only comments", run, 2, "# nothing\n"},
        {"a list, not a mapping", run, 2, "- a\n- b\n"},
        {"a scalar, not a mapping", run, 2, "hello\n"},
        {"self-referencing alias", run, 2, "sizes: &a [*a]\n"},
        {"self-referencing alias in a mapping", run, 2, "model: &m {sizes: *m}\n"},
        {"alias bomb", run, 2, alias_bomb()},
        {"undefined alias", run, 2, "sizes: *nowhere\n"},
        {"duplicate top-level key", run, 2, "name: a\nname: b\n"},
        {"duplicate nested key", run, 2, "run: {type: levanter, type: levanter}\n"},
        {"two documents", run, 2, "name: a\n---\nname: b\n"},
        {"unclosed single quote", run, 2, "name: 'tiny\n"},
        {"unclosed double quote", run, 2, "name: \"tiny\n"},
        {"unclosed list", run, 2, "sizes: [tiny\n"},
        {"unclosed mapping", run, 2, "model: {family: olmo2\n"},
        {"tab indentation", run, 2, "model:\n\tfamily: olmo2\n"},
        {"bad indentation", run, 2, "model:\n  family: olmo2\n sizes: {}\n"},
        {"nested 1000 deep", run, 2, "sizes: " + repeated("[", 1000) + repeated("]", 1000)},
        {"non-UTF-8 byte", run, 2, "name: caf\xe9\n"},
        {"overlong UTF-8", run, 2, "name: \xc0\xaf\n"},
        {"UTF-16 surrogate", run, 2, "name: \xed\xa0\x80\n"},
        {"NUL byte", run, 2, std::string("name: a\0b\n", 10)},
        {"a list as a key", run, 2, "? [a, b]\n: c\n"},
        {"unknown key", run, 2, "nmae: tiny\n"},
        {"unknown nested key", run, 2, "trainer: {no_checkpoint: true}\n"},
        {"include of a missing file", run, 2, "run: !include nowhere.yaml\n"},
        {"include of a folder", run, 2, "run: !include folder\n"},
        {"include of a FIFO", run, 2, "run: !include fifo\n"},
        {"include of itself", run, 2, "run: !include bad.yaml\n"},
        {"include of a list", run, 2, "run: !include [a, b]\n"},
        {"include of a file with an error", run, 2, "data: !include text.txt\n"},
        {"huge value", run, 2, "name: " + repeated("x", 100000) + "\n"},
        {"name escaping its folder", run, 2, "name: ../../x\n"},
        {"name with a slash", run, 2, "name: a/b\n"},
        {"custom size escaping its folder", run, 2,
         "sizes: [../up]\nmodel: {sizes: {../up: {d_model: 64, n_layers: 2, n_heads: 4}}}\n"},
        {"infinite LR multiplier", run, 2, "run: {lr_multiplier: .inf}\n"},
        {"bogus backend", run, 2, "backend: bogus\n"},
        {"sequence length past any context", run, 2, "sequence_length: 1e15\n"},
    };
    for (uint64_t seed = 1; seed <= 10; ++seed)
        cases.push_back({"garbage bytes " + std::to_string(seed), run, 2, garbage(300, seed)});
    return cases;
}

std::vector<BadInput> path_and_command_line_cases() {
    const std::string tiny = "--config tiny.yaml";
    const std::string huge(100000, 'y');
    return {
        // Config files that are not files.
        {"config is missing", "dry-run tiny --config nowhere.yaml"},
        {"config is a folder", "dry-run tiny --config folder"},
        {"config is a FIFO", "dry-run tiny --config fifo"},
        {"config is a device", "dry-run tiny --config /dev/zero"},
        // Overrides.
        {"self-referencing alias in an override", "dry-run 190M --no-plot --sizes '&a [*a]'"},
        {"alias bomb in an override", "dry-run 190M --no-plot --sizes '" + alias_bomb() + "'"},
        {"override naming a huge index",
         "dry-run 190M --no-plot --data.paths.99999999999999999999 x"},
        {"override with a 100 KB value", "dry-run 190M --no-plot --name=" + huge},
        {"override of a 100 KB unknown key", "dry-run 190M --no-plot --" + huge + "=1"},
        {"override name escaping", "dry-run 190M --no-plot --name=../../x"},
        {"override backend", "dry-run 190M --no-plot --backend bogus"},
        {"override non-finite", "dry-run 190M --no-plot --run.lr_multiplier .inf"},
        {"override huge tokens per param", "dry-run 190M --no-plot --run.tokens_per_param 1e300"},
        {"override unknown run type", "dry-run 190M --no-plot --run.type bogus"},
        {"override unclosed quote", "dry-run 190M --no-plot --name \"'tiny\""},
        // Command lines.
        {"unknown command", "trian tiny"},
        {"100 KB unknown command", huge},
        {"unknown flag", "dry-run 190M --no-plott"},
        {"bad log level", "dry-run 190M --log-level loud"},
        {"size missing", "train " + tiny},
        {"unknown size", "train huge " + tiny},
        {"zero workers", "train tiny --nproc-per-node 0 " + tiny},
        {"negative workers", "train tiny --nproc-per-node -2 " + tiny},
        {"workers not a number", "train tiny --nproc-per-node two " + tiny},
        // Outputs that cannot be written.
        {"plots under a file", "plot-lr tiny " + tiny + " --output-dir text.txt"},
        {"plots under a FIFO", "plot-lr tiny " + tiny + " --output-dir fifo"},
        {"metrics table of no format", "metrics tiny " + tiny + " -o folder"},
        {"metrics plot under a file", "plot-metrics tiny " + tiny + " -o text.txt"},
        {"metrics table is a folder", "metrics tiny --discover-all " + tiny + " -o folder.csv"},
        {"metrics table is a FIFO", "metrics tiny --discover-all " + tiny + " -o fifo.csv"},
        {"metrics table in no folder", "metrics tiny --discover-all " + tiny + " -o no/x.csv"},
        {"metrics table under a file",
         "metrics tiny --discover-all " + tiny + " -o text.txt/x.csv"},
        {"token output is a folder", "tokenize --model text.txt -o folder text.txt"},
        // Token files and data.
        {"token file missing", "train tiny " + tiny + " --data.paths '[nowhere.u16]'"},
        {"token file is a folder", "train tiny " + tiny + " --data.paths '[folder]'"},
        {"token file is a FIFO", "train tiny " + tiny + " --data.paths '[fifo]'"},
        {"token file is empty", "train tiny " + tiny + " --data.paths '[empty.u16]'"},
        {"token file of an odd size", "train tiny " + tiny + " --data.paths '[odd.u16]'"},
        {"token file is a device", "train tiny " + tiny + " --data.paths '[/dev/zero]'"},
        // Tokenizer inputs.
        {"tokenize a FIFO", "tokenize --model text.txt -o out.u16 fifo"},
        {"tokenize a folder", "tokenize --model text.txt -o out.u16 folder"},
        {"tokenize a missing file", "tokenize --model text.txt -o out.u16 nowhere.txt"},
        {"tokenizer model is a FIFO", "tokenize --model fifo -o out.u16 text.txt"},
        {"tokenizer model is not a model", "tokenize --model text.txt -o out.u16 text.txt"},
        // Tables for fit.
        {"fit a FIFO", "fit fifo"},
        {"fit a folder", "fit folder"},
        {"fit a missing table", "fit nowhere.csv"},
        {"fit an empty table", "fit empty.u16"},
        {"fit a table of garbage", "fit odd.u16"},
    };
}

}  // namespace

TEST_CASE("bad config files: one line, exit 2, nothing written", "[bad-inputs]") {
    Workspace space;
    const auto cases = config_file_cases();
    CHECK(cases.size() >= 45);
    for (const BadInput& input : cases)
        check(space, input);
}

TEST_CASE("a wrong value for every config key: one line, exit 2", "[bad-inputs]") {
    Workspace space;
    int checked = 0;
    for (const auto& [key, type] : config_keys()) {
        for (const std::string& value : wrong_values(type)) {
            check(space, {key + " = " + value + " (" + type + ")",
                          "dry-run 190M --no-plot '--" + key + "=" + value + "'"});
            ++checked;
        }
    }
    CHECK(checked > 150);  // every key of the field lists has a case
}

TEST_CASE("bad paths, files and command lines: one line, exit 2, nothing written", "[bad-inputs]") {
    Workspace space;
    const auto cases = path_and_command_line_cases();
    CHECK(cases.size() >= 40);
    for (const BadInput& input : cases)
        check(space, input);
}
