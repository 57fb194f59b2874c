// End-to-end: `ladder export` and `ladder import` on a trained olmo3 rung with grouped-query
// attention. Export → import → export gives the same bytes; a run starts from the import;
// bad Hugging Face folders are refused with one line and nothing written.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/run_ladder.hpp"
#include "e2e/tiny_ladder.hpp"
#include "hf/safetensors.hpp"

using ladder::test::read_file;
using ladder::test::require_usage_error;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_file;
using ladder::test::write_tiny_run;
using nlohmann::json;

namespace {

namespace fs = std::filesystem;

const std::string kConfig =
    " --config tiny.yaml --model.family=olmo3 --model.sizes.tiny.n_kv_heads=2";

std::vector<std::string> files_in(const std::string& folder) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// `from` rewritten as one model.safetensors in `to` without the tensor `dropped`, and with
// `reshaped` given the shape `shape` (the same bytes).
void copy_changed(const std::string& from, const std::string& to, const std::string& dropped,
                  const std::string& reshaped = "", const std::vector<int64_t>& shape = {}) {
    const ladder::hf::SafetensorsFile file(from + "/model.safetensors");
    std::vector<ladder::hf::TensorEntry> kept;
    for (const auto& entry : file.tensors()) {
        if (entry.name == dropped)
            continue;
        kept.push_back(entry);
        if (entry.name == reshaped)
            kept.back().shape = shape;
    }
    fs::create_directories(to);
    fs::copy_file(from + "/config.json", to + "/config.json");
    ladder::hf::SafetensorsWriter writer(to + "/model.safetensors", kept, {});
    for (const auto& entry : kept) {
        std::string bytes(entry.bytes(), '\0');
        file.read(entry, bytes.data());
        writer.write(bytes.data(), bytes.size());
    }
    writer.close();
}

}  // namespace

TEST_CASE("export then import then export gives the same folder; a run starts from an import",
          "[hf]") {
    const TempDir dir;
    write_tiny_run(dir.path, 20000);
    // The hf_exporter callback exports the planned checkpoint (step 10) and the last (12).
    const auto trained = run_ladder("train tiny" + kConfig +
                                        " --trainer.hard_stop='{value: 12, unit: steps}' "
                                        "--trainer.callbacks.hf_exporter='{enabled: true, "
                                        "every_checkpoint: true, max_shard_size: 300KB}'",
                                    dir.path);
    INFO(trained.err);
    REQUIRE(trained.exit_code == 0);
    const std::string folder = dir / "runs/tiny/hf/step12";
    CHECK(trained.err.find("Exported tiny step 10 (Olmo3ForCausalLM, bf16) to '" +
                           (dir / "runs/tiny/hf/step10") + "'") != std::string::npos);
    REQUIRE(fs::exists(folder + "/model.safetensors.index.json"));

    // `ladder export` of the same checkpoint writes the same bytes.
    const auto exported =
        run_ladder("export tiny -o exported --max-shard-size 300KB" + kConfig, dir.path);
    INFO(exported.out << exported.err);
    REQUIRE(exported.exit_code == 0);
    REQUIRE(exported.out ==
            "Exported tiny step 12 (Olmo3ForCausalLM, bf16) to 'exported' "
            "without tokenizer files (tokenizer 'synthetic' has no "
            "tokenizer.json)\n");
    for (const std::string& name : files_in(folder))
        REQUIRE(read_file(dir / ("exported/" + name)) == read_file(folder + "/" + name));
    const json index = json::parse(read_file(folder + "/model.safetensors.index.json"));
    const auto files = files_in(folder);
    REQUIRE(std::count_if(files.begin(), files.end(), [](const std::string& name) {
                return name.rfind("model-", 0) == 0;
            }) > 2);
    REQUIRE(index["weight_map"].size() == 1 + 4 * 11 + 2);
    const json config = json::parse(read_file(folder + "/config.json"));
    REQUIRE(config["num_key_value_heads"] == 2);
    REQUIRE(config["layer_types"].size() == 4);
    const json exported_from = json::parse(read_file(folder + "/ladder_export.json"));
    REQUIRE(exported_from["step"] == 12);
    REQUIRE(exported_from["tokens_seen"] == 12 * 1024);
    require_usage_error(run_ladder("export tiny" + kConfig, dir.path), "exists already");
    require_usage_error(run_ladder("export tiny --max-shard-size 5XB" + kConfig, dir.path),
                        "--max-shard-size '5XB': expected a size such as 5GB");

    const auto imported =
        run_ladder("import '" + folder + "' --size tiny -o imported" + kConfig, dir.path);
    INFO(imported.out << imported.err);
    REQUIRE(imported.exit_code == 0);
    REQUIRE(fs::exists(dir / "imported/step0/model_and_optim/model.pt"));
    const auto again = run_ladder(
        "export tiny --checkpoint imported/step0 -o again "
        "--max-shard-size 300KB" +
            kConfig,
        dir.path);
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    for (const std::string& name : files) {
        if (name.find("safetensors") == std::string::npos)
            continue;
        INFO(name);
        REQUIRE(read_file(dir / ("again/" + name)) == read_file(folder + "/" + name));
    }

    const auto started = run_ladder("train tiny" + kConfig +
                                        " --dir second --trainer.load_path=imported "
                                        "--trainer.hard_stop='{value: 2, unit: steps}'",
                                    dir.path);
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    CHECK(started.err.find("resuming from " + (dir / "imported/step0") + " (step 0)") !=
          std::string::npos);

    // Bad folders: one line, exit 2, no checkpoint written.
    const std::string import_to = " --size tiny -o bad" + kConfig;
    json llama = config;
    llama["model_type"] = "llama";
    fs::create_directories(dir / "llama");
    write_file(dir / "llama/config.json", llama.dump());
    require_usage_error(run_ladder("import llama" + import_to, dir.path),
                        "model_type: expected olmo2 or olmo3, found 'llama'");
    require_usage_error(
        run_ladder("import '" + folder + "'" + import_to + " --model.sizes.tiny.d_model=64",
                   dir.path),
        "does not hold size tiny: d_model 128 (the size has 64)");
    const auto one = run_ladder("export tiny" + kConfig + " -o one", dir.path);
    REQUIRE(one.exit_code == 0);
    copy_changed(dir / "one", dir / "missing", "model.layers.2.mlp.up_proj.weight");
    require_usage_error(run_ladder("import missing" + import_to, dir.path),
                        "tensor 'model.layers.2.mlp.up_proj.weight' is missing");
    copy_changed(dir / "one", dir / "reshaped", "", "model.layers.1.self_attn.q_norm.weight",
                 {2, 64});
    require_usage_error(run_ladder("import reshaped" + import_to, dir.path),
                        "tensor 'model.layers.1.self_attn.q_norm.weight' of "
                        "'reshaped/model.safetensors': shape [2,64], expected [128]");
    fs::copy(dir / "one", dir / "cut");
    const std::string bytes = read_file(dir / "cut/model.safetensors");
    write_file(dir / "cut/model.safetensors", bytes.substr(0, bytes.size() - 100));
    require_usage_error(run_ladder("import cut" + import_to, dir.path), "a truncated file?");
    REQUIRE_FALSE(fs::exists(dir / "bad"));
}

TEST_CASE("a checkpoint sharded over 2 fsdp ranks exports like any other", "[hf][distributed]") {
    const TempDir dir;
    write_tiny_run(dir.path, 20000);
    const auto trained = run_ladder("train tiny" + kConfig +
                                        " --nproc-per-node 2 --trainer.data_parallel.type=fsdp "
                                        "--trainer.hard_stop='{value: 4, unit: steps}'",
                                    dir.path);
    INFO(trained.err);
    REQUIRE(trained.exit_code == 0);
    REQUIRE(fs::exists(dir / "runs/tiny/step4/model_and_optim/shards.json"));
    const auto exported =
        run_ladder("export tiny --checkpoint runs/tiny/step4 -o sharded" + kConfig, dir.path);
    INFO(exported.err);
    REQUIRE(exported.exit_code == 0);
    // Its weights back in a one-process run's checkpoint, exported again: the same bytes.
    REQUIRE(run_ladder("import sharded --size tiny -o whole" + kConfig, dir.path).exit_code == 0);
    REQUIRE(
        run_ladder("export tiny --checkpoint whole/step0 -o again" + kConfig, dir.path).exit_code ==
        0);
    REQUIRE(read_file(dir / "again/model.safetensors") ==
            read_file(dir / "sharded/model.safetensors"));
}
