// Config loading: includes, path rebasing, overrides, strictness and error messages.
#include <catch2/catch.hpp>
#include <filesystem>

#include "config/load.hpp"
#include "config/overrides.hpp"
#include "e2e/run_ladder.hpp"
#include "unit/yaml_samples.hpp"

using namespace ladder::config;
using ladder::test::make_temp_dir;
using ladder::test::TempDir;
using ladder::test::write_file;

namespace {

std::vector<std::string> args(std::initializer_list<const char*> list) {
    return std::vector<std::string>(list.begin(), list.end());
}

LadderConfig load_with(std::initializer_list<const char*> command_line,
                       const std::optional<std::string>& file = std::nullopt) {
    return load_config(file, split_overrides(args(command_line)).overrides);
}

// The message of the UsageError that `f` throws.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const ladder::UsageError& e) {
        return e.what();
    }
    FAIL("expected a UsageError");
    return "";
}

}  // namespace

TEST_CASE("defaults are the OLMo-3 ladder", "[config]") {
    const LadderConfig c = load_config(std::nullopt, {});
    CHECK(c.name == "olmo3-ladder");
    CHECK(c.sizes.size() == 10);
    CHECK(c.sequence_length == 8192);
    CHECK(c.max_devices == 64);
    CHECK(c.seed == 42);
    CHECK(c.backend == "cpu:gloo,cuda:nccl");
    CHECK(c.tokenizer.vocab_size == 100278);
    CHECK(c.tokenizer.eos_token_id == 100257);
    CHECK(c.tokenizer.pad_token_id == 100277);
    CHECK_FALSE(c.tokenizer.bos_token_id);
    CHECK(c.run.type == "wsds_chinchilla");
    CHECK(c.run.wsds_chinchilla.chinchilla_multiple == 4.0);
    CHECK(c.project == "olmo3-ladder");
}

TEST_CASE("overrides: forms, YAML values, bare booleans, last one wins", "[config]") {
    const auto split = split_overrides(
        args({"dry-run", "--run.lr-multiplier", "0.5", "190M", "--trainer.no_checkpoints",
              "--trainer.hard_stop={value: 100, unit: steps}", "--sizes", "[14M, 30M]", "--seed=1",
              "--seed=2", "--show-model", "--dir", "null"}));
    CHECK(split.remaining == args({"dry-run", "190M", "--show-model"}));
    REQUIRE(split.overrides.size() == 7);
    CHECK(split.overrides[0].key == "run.lr_multiplier");
    CHECK(split.overrides[1].value == "true");

    const LadderConfig c = load_config(std::nullopt, split.overrides);
    CHECK(c.run.wsds_chinchilla.lr_multiplier == 0.5);
    CHECK(c.trainer.no_checkpoints);
    REQUIRE(c.trainer.hard_stop);
    CHECK(c.trainer.hard_stop->value == 100);
    CHECK(c.trainer.hard_stop->unit == "steps");
    CHECK(c.sizes == args({"14M", "30M"}));
    CHECK(c.seed == 2);
    CHECK(c.dir->find("model-ladders/olmo3-ladder") != std::string::npos);

    CHECK_FALSE(load_with({"--trainer.no_checkpoints", "false"}).trainer.no_checkpoints);
    CHECK(load_with({"--run.decay_fraction", "1e-3"}).run.wsds_chinchilla.decay_fraction == 0.001);
    CHECK(load_with({"--sizes.1=7B"}).sizes[1] == "7B");
    CHECK(load_with({"--max_devices=6.4e1"}).max_devices == 64);
}

TEST_CASE("overriding run.type drops the keys of the old type", "[config]") {
    const LadderConfig c = load_with({"--run.type=levanter", "--run.global_batch_size=1048576",
                                      "--run.num_train_steps=1000", "--run.cycles=[400, 700]"});
    CHECK(c.run.type == "levanter");
    CHECK(c.run.levanter.num_train_steps == 1000);
    REQUIRE(c.run.levanter.cycles);
    CHECK(c.run.levanter.cycles->is_list);
    CHECK(c.run.levanter.cycles->values == std::vector<double>{400, 700});
}

TEST_CASE("!include works at the top level and below, relative to the including file", "[config]") {
    TempDir dir;
    write_file(dir.path + "/sub/run.yaml",
               "chinchilla_multiple: 2\ndecay_fraction: !include ../df.yaml\n");
    write_file(dir.path + "/df.yaml", "0.2\n");
    write_file(dir.path + "/base.yaml", "name: base\nsizes: [60M, 190M]\n");
    write_file(dir.path + "/top.yaml", "!include base.yaml\n");
    write_file(dir.path + "/main.yaml",
               "name: main\nrun: !include sub/run.yaml\ndata:\n  paths: [tokens/a.npy, /abs/b.npy, "
               "gs://x/c.npy]\n");

    const LadderConfig main = load_config(dir.path + "/main.yaml", {});
    CHECK(main.name == "main");
    CHECK(main.run.wsds_chinchilla.chinchilla_multiple == 2);
    CHECK(main.run.wsds_chinchilla.decay_fraction == 0.2);
    CHECK(main.data.paths[0] == dir.path + "/tokens/a.npy");
    CHECK(main.data.paths[1] == "/abs/b.npy");
    CHECK(main.data.paths[2] == "gs://x/c.npy");

    const LadderConfig top = load_config(dir.path + "/top.yaml", {});
    CHECK(top.name == "base");
    CHECK(top.sizes == args({"60M", "190M"}));
}

TEST_CASE("include errors name the chain of files", "[config]") {
    TempDir dir;
    write_file(dir.path + "/a.yaml", "run: !include b.yaml\n");
    write_file(dir.path + "/b.yaml", "chinchilla_multiple: !include a.yaml\n");
    write_file(dir.path + "/c.yaml", "model: !include nowhere.yaml\n");
    write_file(dir.path + "/d.yaml", "name: [unclosed\n");
    const std::string a = dir.path + "/a.yaml", b = dir.path + "/b.yaml";
    CHECK(error_of([&] { load_config(a, {}); }) ==
          "config include cycle: " + a + " -> " + b + " -> " + a);
    CHECK(error_of([&] { load_config(dir.path + "/c.yaml", {}); }) ==
          "config file '" + dir.path + "/nowhere.yaml': no such file (included from " + dir.path +
              "/c.yaml)");
    CHECK(error_of([&] {
              load_config(dir.path + "/d.yaml", {});
          }).find("d.yaml': line 2, column 1") != std::string::npos);
}

TEST_CASE("strict decoding names the full dotted path, the expected type and the source",
          "[config]") {
    TempDir dir;
    const std::string file = dir.path + "/x.yaml";
    write_file(file, "model:\n  famly: olmo2\n");
    CHECK(error_of([&] { load_config(file, {}); }) ==
          "model.famly: unknown key (did you mean 'model.family'?) (in " + file + ")");
    write_file(file, "model:\n  family: olmo4\n");
    CHECK(error_of([&] { load_config(file, {}); }) ==
          "model.family: expected one of olmo3|olmo2, got 'olmo4' (did you mean 'olmo3'?) (in " +
              file + ")");
    write_file(file, "sizes: 190M\n");
    CHECK(error_of([&] { load_config(file, {}); }) ==
          "sizes: expected a list, got '190M' (in " + file + ")");
    write_file(file, "trainer: {hard_stop: {value: many}}\n");
    CHECK(error_of([&] { load_config(file, {}); }) ==
          "trainer.hard_stop.value: expected an integer, got 'many' (in " + file + ")");
    write_file(file, "[1, 2]\n");
    CHECK(error_of([&] { load_config(file, {}); }).find("expected a mapping of keys") !=
          std::string::npos);

    CHECK(error_of([&] { load_with({"--run.lr_multiplier=-1"}); }) ==
          "run.lr_multiplier: expected a number in (0, 1000], got -1.0 (from --run.lr_multiplier)");
    CHECK(error_of([&] { load_with({"--run.type=levantr"}); }) ==
          "run.type: expected one of wsds_chinchilla|levanter, got 'levantr' (did you mean "
          "'levanter'?) (from --run.type)");
    CHECK(error_of([&] { load_with({"--run.type=levanter"}); }) ==
          "run.global_batch_size: required with run.type: levanter");
    CHECK(error_of([&] { load_with({"--model.rank_microbatch_size=1000"}); }) ==
          "model.rank_microbatch_size: expected a multiple of sequence_length (8192), got 1000 "
          "(from --model.rank_microbatch_size)");
    CHECK(error_of([&] { load_with({"--tokenizer.name=mytok"}); }) ==
          "tokenizer.vocab_size: required for tokenizer 'mytok' (or name a preset: dolma2, "
          "dolma2_sigdig, gpt_neox_olmo_dolma_v1_5, gpt2)");
    CHECK(error_of([&] {
              load_with({"--tokenizer.name=gpt2", "--tokenizer.vocab_size=100",
                         "--tokenizer.eos_token_id=100", "--tokenizer.pad_token_id=1"});
          }) ==
          "tokenizer.eos_token_id: expected an id < vocab_size (100), got 100 (from "
          "--tokenizer.eos_token_id)");
    CHECK(error_of([&] { load_with({"--seed.x=1"}); }) ==
          "seed: is '42', not a mapping with key 'x' (from --seed.x)");
    CHECK(error_of([&] {
              load_with({"--model.sizes={odd: {d_model: 30, n_layers: 2, n_heads: 2}}"});
          }) ==
          "model.sizes.odd.n_heads: expected an even head width (rotary embeddings turn pairs of "
          "dimensions), got 15 (from --model.sizes)");
    CHECK(error_of([&] { split_overrides(args({"--run.lr_multiplier"})); }) ==
          "--run.lr_multiplier: expected a value (number)");
}

TEST_CASE("tokenizer presets fill the ids they name", "[config]") {
    const LadderConfig gpt2 = load_with({"--tokenizer.name=gpt2"});
    CHECK(gpt2.tokenizer.vocab_size == 50257);
    CHECK(gpt2.tokenizer.bos_token_id == 50256);
}

TEST_CASE("every key has help and a type", "[config]") {
    for (const auto& doc : describe_keys()) {
        INFO(doc.path);
        CHECK_FALSE(doc.help.empty());
        CHECK_FALSE(doc.type.empty());
    }
}

TEST_CASE("help and validation read the same range from the field list", "[config][fields]") {
    std::string help;
    for (const auto& doc : describe_keys()) {
        if (doc.path == "trainer.hard_stop.value")
            help = doc.help;
    }
    REQUIRE_FALSE(help.empty());
    // The range the help states, "(a number > 0)", is what the loader enforces.
    const size_t open = help.rfind(" (");
    REQUIRE(open != std::string::npos);
    const std::string range = help.substr(open + 2, help.size() - open - 3);
    CHECK(range == "a number > 0");
    CHECK(error_of([] { load_with({"--trainer.hard_stop={value: 0}"}); }) ==
          "trainer.hard_stop.value: expected " + range + ", got 0 (from --trainer.hard_stop)");
    CHECK(load_with({"--trainer.hard_stop={value: 1}"}).trainer.hard_stop->value == 1);
}

TEST_CASE("path keys are declared in the field list", "[config][fields]") {
    std::vector<std::string> paths;
    for (const auto& doc : describe_keys()) {
        if (doc.is_path) {
            paths.push_back(doc.path);
            CHECK(doc.help.find("relative paths") != std::string::npos);
        }
    }
    CHECK(paths == args({"dir", "tokenizer.path", "data.paths", "data.validation",
                         "data.downstream", "trainer.load_path"}));

    // From a file: relative to its folder. From the command line: to the working folder.
    TempDir dir;
    write_file(dir.path + "/l.yaml",
               "dir: runs\ntrainer: {load_path: ckpt/step10}\n"
               "data: {validation: {v: [val.u16]}}\n");
    const LadderConfig from_file = load_with({"--data.paths=[train.u16]"}, dir.path + "/l.yaml");
    CHECK(*from_file.dir == dir.path + "/runs");
    CHECK(*from_file.trainer.load_path == dir.path + "/ckpt/step10");
    CHECK(from_file.data.validation.at("v") == args({(dir.path + "/val.u16").c_str()}));
    CHECK(from_file.data.paths ==
          args({(std::filesystem::current_path() / "train.u16").string().c_str()}));
}

TEST_CASE("an ephemeral interval at or past save_interval is a config error",
          "[config][checkpointer]") {
    const std::string key = "--trainer.callbacks.checkpointer.";
    CHECK_THROWS_WITH(load_with({(key + "save_interval=100").c_str(),
                                 (key + "ephemeral_save_interval=100").c_str()}),
                      Catch::Contains("trainer.callbacks.checkpointer.ephemeral_save_interval: "
                                      "expected less than save_interval (100), got 100"));
    CHECK(load_with(
              {(key + "save_interval=100").c_str(), (key + "ephemeral_save_interval=99").c_str()})
              .trainer.callbacks.checkpointer.ephemeral_save_interval == 99);
}

TEST_CASE("config files that are empty, not files, or not one YAML mapping are refused",
          "[config]") {
    TempDir dir;
    write_file(dir.path + "/empty.yaml", "");
    write_file(dir.path + "/comments.yaml", "# nothing yet\n");
    write_file(dir.path + "/braces.yaml", "{}\n");
    write_file(dir.path + "/two.yaml", "name: a\n---\nname: b\n");
    write_file(dir.path + "/twice.yaml", "name: a\nseed: 1\nname: b\n");
    write_file(dir.path + "/quote.yaml", "name: \"unclosed\n");
    write_file(dir.path + "/latin1.yaml", "name: caf\xe9\n");
    const std::string empty = dir.path + "/empty.yaml";
    CHECK(error_of([&] { load_config(empty, {}); }) ==
          "config file '" + empty + "' holds no settings; write `{}` for the built-in ladder");
    CHECK(error_of([&] {
              load_config(dir.path + "/comments.yaml", {});
          }).find("holds no settings") != std::string::npos);
    CHECK(load_config(dir.path + "/braces.yaml", {}).name == "olmo3-ladder");
    CHECK(error_of([&] {
              load_config(dir.path + "/two.yaml", {});
          }).find("two.yaml': line 2, column 1: a second YAML document") != std::string::npos);
    CHECK(error_of([&] {
              load_config(dir.path + "/twice.yaml", {});
          }).find("twice.yaml': line 3, column 1: duplicate key 'name'") != std::string::npos);
    CHECK(error_of([&] { load_config(dir.path + "/quote.yaml", {}); }).find("quote.yaml': line") !=
          std::string::npos);
    CHECK(error_of([&] {
              load_config(dir.path + "/latin1.yaml", {});
          }).find("latin1.yaml': line 1, column 10: not UTF-8 text") != std::string::npos);
    CHECK(error_of([&] { load_config(dir.path, {}); }) ==
          "config file '" + dir.path + "' is a folder, expected a file");
    CHECK(error_of([&] { load_config(dir.path + "/none.yaml", {}); }) ==
          "config file '" + dir.path + "/none.yaml': no such file");
}

TEST_CASE("an error in an included file names that file, not the one including it", "[config]") {
    TempDir dir;
    write_file(dir.path + "/run.yaml", "chinchilla_multiple: -1\n");
    write_file(dir.path + "/main.yaml", "name: main\nrun: !include run.yaml\n");
    CHECK(error_of([&] { load_config(dir.path + "/main.yaml", {}); }) ==
          "run.chinchilla_multiple: expected a power of two >= 0.5 (0.5, 1, 2, 4, ...), got -1.0 "
          "(in " +
              dir.path + "/run.yaml)");
}

TEST_CASE("self-referencing aliases and alias bombs are errors, not crashes", "[config]") {
    TempDir dir;
    write_file(dir.path + "/self.yaml", "sizes: &a [*a]\n");
    const std::string bomb = ladder::test::alias_bomb();
    write_file(dir.path + "/bomb.yaml", bomb);
    CHECK(error_of([&] {
              load_config(dir.path + "/self.yaml", {});
          }).find("alias *a is used inside the node it names") != std::string::npos);
    CHECK(error_of([&] {
              load_config(dir.path + "/bomb.yaml", {});
          }).find("values once aliases are expanded") != std::string::npos);
    CHECK(error_of([] {
              load_with({"--sizes", "&a [*a]"});
          }).find("alias *a is used inside the node it names") != std::string::npos);
}

TEST_CASE("non-finite numbers, unknown backends and names that leave their folder are refused",
          "[config]") {
    CHECK(error_of([] {
              load_with({"--run.lr_multiplier", ".inf"});
          }) ==
          "run.lr_multiplier: expected a finite number, got '.inf' (from --run.lr_multiplier)");
    CHECK(error_of([] {
              load_with({"--run.chinchilla_multiple=.nan"});
          }).find("expected a finite number, got '.nan'") != std::string::npos);
    CHECK(error_of([] {
              load_with({"--backend", "bogus"});
          }) ==
          "backend: expected entries cpu:gloo, cuda:nccl or cuda:gloo separated by commas, got "
          "'bogus' in 'bogus' (from --backend)");
    CHECK(error_of([] {
              load_with({"--backend", "cuda:nccl,cuda:gloo"});
          }).find("names two backends for cuda") != std::string::npos);
    CHECK(load_with({"--backend", "cuda:nccl"}).backend == "cuda:nccl");
    for (const char* name : {"../../x", "a/b", "..", ".hidden", "", "-x", "tab\there"}) {
        CAPTURE(name);
        const std::string flag = std::string("--name=") + name;
        CHECK(error_of([&] { load_with({flag.c_str()}); }).rfind("name: expected up to 128", 0) ==
              0);
    }
    CHECK(load_with({"--name=olmo3_ladder-v2.1"}).name == "olmo3_ladder-v2.1");
    CHECK(error_of([] {
              load_with({"--model.sizes={\"../up\": {d_model: 64, n_layers: 2, n_heads: 4}}"});
          }).rfind("model.sizes.../up: expected up to 128", 0) == 0);
    CHECK(error_of([] {
              load_with({"--data.paths.99999999999999999999", "x"});
          }).find("no index '99999999999999999999'") != std::string::npos);
}
