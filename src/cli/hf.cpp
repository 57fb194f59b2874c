// `ladder export SIZE` and `ladder import HF_DIR --size NAME`: ladder checkpoints as Hugging
// Face folders (config.json, generation_config.json, safetensors, tokenizer files) that
// transformers' Olmo2ForCausalLM / Olmo3ForCausalLM load, and such folders as the step-0
// checkpoint a run starts from. The tensors pass through libladder_torch.so; the folder is
// written under a temporary name and renamed when whole.
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <optional>

#include "cli/common.hpp"
#include "cli/modules.hpp"
#include "config/load.hpp"
#include "config/tokenizers.hpp"
#include "hf/hf_request.hpp"
#include "hf/olmo_format.hpp"
#include "io/checkpoint_dir.hpp"
#include "ladder/run_plan.hpp"
#include "tokenizer/bpe_loader.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/format.hpp"
#include "util/input_file.hpp"

namespace ladder::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct ExportOptions {
    std::string size;
    std::optional<int64_t> step;
    bool latest = false;
    std::optional<std::string> checkpoint;
    std::optional<std::string> output;
    std::string dtype = "bf16";
    std::string max_shard_size = "5GB";
};

struct ImportOptions {
    std::string hf_folder;
    std::string size;
    std::optional<std::string> output;
};

// "5GB" as transformers reads max_shard_size (utils/hub.py, convert_file_size_to_int):
// KB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB powers of 1024, a bare number bytes.
uint64_t shard_bytes(const std::string& text) {
    static const std::vector<std::pair<std::string, double>> units = {
        {"KIB", 1024.0}, {"MIB", 1048576.0}, {"GIB", 1073741824.0}, {"TIB", 1099511627776.0},
        {"KB", 1e3},     {"MB", 1e6},        {"GB", 1e9},           {"TB", 1e12},
        {"B", 1.0}};
    std::string upper;
    for (const char c : text)
        upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    double scale = 1.0;
    std::string number = upper;
    for (const auto& [unit, factor] : units) {
        if (upper.size() > unit.size() &&
            upper.compare(upper.size() - unit.size(), unit.size(), unit) == 0) {
            scale = factor;
            number = upper.substr(0, upper.size() - unit.size());
            break;
        }
    }
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || !(value > 0) || value * scale < 1)
        throw UsageError("--max-shard-size '" + text +
                         "': expected a size such as 5GB, 500MB, "
                         "2GiB or a number of bytes");
    return static_cast<uint64_t>(value * scale);
}

std::string chosen_checkpoint(const ExportOptions& options, const RunPlan& plan) {
    if (options.checkpoint) {
        if (!io::is_complete_checkpoint(*options.checkpoint))
            throw UsageError("--checkpoint '" + *options.checkpoint +
                             "': not a complete ladder checkpoint folder");
        return *options.checkpoint;
    }
    const std::vector<int64_t> saved = io::find_checkpoints(plan.save_folder);
    if (saved.empty())
        throw UsageError("size " + options.size + ": no complete checkpoint in '" +
                         plan.save_folder + "'");
    if (!options.step)
        return io::checkpoint_dir(plan.save_folder, saved.back());
    if (std::find(saved.begin(), saved.end(), *options.step) == saved.end()) {
        std::vector<std::string> steps;
        for (const int64_t s : saved)
            steps.push_back(std::to_string(s));
        throw UsageError("--step " + std::to_string(*options.step) +
                         ": no complete checkpoint of that step in '" + plan.save_folder +
                         "' (it has steps " + join(steps, ", ") + ")");
    }
    return io::checkpoint_dir(plan.save_folder, *options.step);
}

// A folder written whole or not at all: `write` fills `<folder>.partial`, which then
// becomes `folder`; on any error it is removed.
void write_folder_atomically(const std::string& folder, const std::string& what,
                             const std::function<void(const std::string&)>& write) {
    if (fs::exists(folder))
        throw UsageError(what + " '" + folder + "' exists already; remove it or choose another");
    const std::string partial = folder + ".partial";
    std::error_code error;
    fs::remove_all(partial, error);
    create_output_folder(partial, what);
    try {
        write(partial);
        fs::rename(partial, folder);
    } catch (...) {
        fs::remove_all(partial, error);
        throw;
    }
}

void write_json(const std::string& path, const json& value) {
    write_text_atomically(path, [&](std::ostream& out) { out << value.dump(2) << "\n"; });
}

// The tokenizer files HF reads, when the ladder's tokenizer has them: a tokenizer.json it
// was given (with the tokenizer_config.json beside it), or a byte-level preset's. Returns
// what was written, for the summary.
std::string write_tokenizer_files(const config::LadderConfig& config, const std::string& folder) {
    const auto& tokenizer = config.tokenizer;
    const fs::path out(folder);
    if (tokenizer.path && fs::path(*tokenizer.path).extension() == ".json") {
        fs::copy_file(*tokenizer.path, out / "tokenizer.json");
        const fs::path beside = fs::path(*tokenizer.path).parent_path() / "tokenizer_config.json";
        if (fs::exists(beside))
            fs::copy_file(beside, out / "tokenizer_config.json");
        return "tokenizer.json from '" + *tokenizer.path + "'";
    }
    if (!tokenizer.path && tokenizer::is_bpe_preset(tokenizer.name)) {
        const tokenizer::HfTokenizerFiles files =
            tokenizer::preset_hf_tokenizer(tokenizer.name, config.sequence_length);
        write_text_atomically((out / "tokenizer.json").string(),
                              [&](std::ostream& o) { o << files.tokenizer.dump() << "\n"; });
        write_json((out / "tokenizer_config.json").string(), files.config);
        return "the " + tokenizer.name + " tokenizer";
    }
    return "";
}

config::TokenizerConfig resolved_tokenizer(const config::LadderConfig& config) {
    config::TokenizerConfig tokenizer = config.tokenizer;
    config::resolve_tokenizer(tokenizer);
    return tokenizer;
}

hf::SpecialTokens special_tokens(const config::LadderConfig& config) {
    const config::TokenizerConfig tokenizer = resolved_tokenizer(config);
    return {tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id};
}

void export_checkpoint(const ExportOptions& options, const CommonOptions& common) {
    const config::LadderConfig config = load_ladder(common);
    const RunPlan plan = plan_run(config, options.size);
    const std::string checkpoint = chosen_checkpoint(options, plan);
    hf::ExportRequest request;
    request.checkpoint = checkpoint;
    request.dtype = options.dtype;
    request.max_shard_bytes = shard_bytes(options.max_shard_size);
    request.vocab_rows = *resolved_tokenizer(config).vocab_size;
    const json hf_config =
        hf::hf_config(plan.model, config.sequence_length, request.vocab_rows,
                      special_tokens(config), options.dtype == "bf16" ? "bfloat16" : "float32");
    const json state =
        json::parse(read_input_file(checkpoint + "/train/rank0.json", "trainer state", 1 << 20));
    const int64_t step = state.value("global_step", int64_t{0});
    const std::string folder = options.output.value_or(
        (fs::path(plan.save_folder) / "hf" / ("step" + std::to_string(step))).string());
    if (!options.output)
        create_output_folder(fs::path(folder).parent_path().string(), "-o");

    std::string tokenizer_files;
    write_folder_atomically(folder, "-o", [&](const std::string& partial) {
        request.folder = partial;
        using Entry = void (*)(const RunPlan*, const hf::ExportRequest*);
        reinterpret_cast<Entry>(module_symbol("libladder_torch.so", "ladder_torch_export"))(
            &plan, &request);
        write_json(partial + "/config.json", hf_config);
        write_json(partial + "/generation_config.json",
                   hf::hf_generation_config(special_tokens(config)));
        tokenizer_files = write_tokenizer_files(config, partial);
        write_json(partial + "/ladder_export.json",
                   {{"source_checkpoint", fs::absolute(checkpoint).string()},
                    {"step", step},
                    {"tokens_seen", state.value("global_train_tokens_seen", int64_t{0})},
                    {"size", plan.size},
                    {"run_name", plan.run_name},
                    {"family", plan.model.family},
                    {"num_params", plan.num_params},
                    {"dtype", options.dtype},
                    {"sequence_length", config.sequence_length},
                    {"ladder_version", LADDER_VERSION}});
    });
    std::cout << "Exported " << plan.size << " step " << with_commas(step) << " ("
              << hf_config["architectures"][0].get<std::string>() << ", " << options.dtype
              << ") to '" << folder << "'"
              << (tokenizer_files.empty() ? " without tokenizer files (tokenizer '" +
                                                config.tokenizer.name + "' has none HF reads)"
                                          : " with " + tokenizer_files)
              << "\n";
}

void import_checkpoint(const ImportOptions& options, const CommonOptions& common) {
    config::LadderConfig config = load_ladder(common);
    const std::string config_path = (fs::path(options.hf_folder) / "config.json").string();
    json hf_json;
    try {
        hf_json = json::parse(read_input_file(config_path, "Hugging Face config", 16 << 20));
    } catch (const json::parse_error&) {
        throw UsageError("Hugging Face config '" + config_path + "': not JSON");
    }
    const hf::HfModel found = hf::read_hf_config(hf_json, config_path);
    const std::optional<ModelSpec> known = find_model_spec(config, options.size);
    const bool custom = !known;
    if (custom) {
        // A size the ladder lacks: defined from the HF config, in the config's family.
        if (found.spec.family != config.model.family)
            throw UsageError("'" + options.hf_folder + "' is an " + found.spec.family +
                             " model but model.family is " + config.model.family +
                             "; pass --model.family=" + found.spec.family);
        config::CustomSizeConfig size;
        size.d_model = found.spec.d_model;
        size.n_layers = found.spec.n_layers;
        size.n_heads = found.spec.n_heads;
        size.n_kv_heads = found.spec.n_kv_heads;
        size.hidden_size = found.spec.hidden_size;
        config.model.sizes[options.size] = size;
    }
    // The size is planned as one of the ladder's, whether its list names it or not.
    if (std::find(config.sizes.begin(), config.sizes.end(), options.size) == config.sizes.end())
        config.sizes.push_back(options.size);
    const RunPlan plan = plan_run(config, options.size);
    const std::vector<std::string> differences = hf::spec_differences(found, plan.model);
    if (!differences.empty())
        throw UsageError("'" + options.hf_folder + "' does not hold size " + options.size + ": " +
                         join(differences, "; "));

    const std::string folder = options.output.value_or(
        (fs::path(config::ladder_dir(config)) / "imported" / options.size).string());
    const std::string checkpoint = io::checkpoint_dir(folder, 0);
    if (fs::exists(checkpoint))
        throw UsageError("-o: '" + checkpoint + "' exists already; remove it or choose another");
    create_output_folder(folder, "-o");
    hf::ImportRequest request;
    request.hf_folder = options.hf_folder;
    request.save_folder = folder;
    request.config_json = config::to_json_text(config);
    using Entry = void (*)(const RunPlan*, const hf::ImportRequest*);
    reinterpret_cast<Entry>(module_symbol("libladder_torch.so", "ladder_torch_import"))(&plan,
                                                                                        &request);
    std::cout << "Imported '" << options.hf_folder << "' (" << found.spec.family << ", "
              << with_commas(plan.num_params) << " parameters) as '" << checkpoint << "'\n";
    if (custom) {
        const std::string yaml = (fs::path(folder) / "size.yaml").string();
        write_text_atomically(yaml, [&](std::ostream& out) {
            out << hf::custom_size_yaml(options.size, found.spec);
        });
        std::cout << "Size " << options.size
                  << " is new to this ladder: its model.sizes entry is in '" << yaml << "'\n";
    }
    std::cout << "Start a run from it with --trainer.load_path=" << folder << "\n";
}

}  // namespace

void register_hf(CLI::App& app, CommonOptions& common) {
    auto exporting = std::make_shared<ExportOptions>();
    CLI::App* command = app.add_subcommand(
        "export", "Write a checkpoint as a Hugging Face folder (Olmo2/Olmo3ForCausalLM)");
    command->add_option("size", exporting->size, "model size, one of the ladder's sizes")
        ->required();
    auto* step = command->add_option("--step", exporting->step,
                                     "the checkpoint of this step (default: the latest)");
    auto* latest =
        command->add_flag("--latest", exporting->latest, "the latest checkpoint (the default)");
    command
        ->add_option("--checkpoint", exporting->checkpoint,
                     "any complete checkpoint folder of this size (sharded ones too)")
        ->excludes(step)
        ->excludes(latest);
    step->excludes(latest);
    command->add_option("-o,--output", exporting->output,
                        "the folder to write (default: <run folder>/hf/step<N>)");
    command->add_option("--dtype", exporting->dtype, "tensor type: bf16 (default) or fp32")
        ->check(CLI::IsMember({"bf16", "fp32"}));
    command->add_option("--max-shard-size", exporting->max_shard_size,
                        "largest safetensors file before sharding (default 5GB, as "
                        "transformers' save_pretrained)");
    add_config_option(command, common);
    command->callback([exporting, &common] { export_checkpoint(*exporting, common); });

    auto importing = std::make_shared<ImportOptions>();
    CLI::App* import_command = app.add_subcommand(
        "import",
        "Turn a Hugging Face OLMo-2/OLMo-3 folder into a step-0 checkpoint to start from");
    import_command->add_option("hf_dir", importing->hf_folder, "the Hugging Face folder")
        ->required();
    import_command
        ->add_option("--size", importing->size,
                     "the ladder size it holds (a new name defines the size from its config)")
        ->required();
    import_command->add_option("-o,--output", importing->output,
                               "the run folder to write step0 into (default: <ladder "
                               "dir>/imported/<size>)");
    add_config_option(import_command, common);
    import_command->callback([importing, &common] { import_checkpoint(*importing, common); });
}

}  // namespace ladder::cli
