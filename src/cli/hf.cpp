// `ladder export SIZE` and `ladder import HF_DIR --size NAME`: ladder checkpoints as Hugging
// Face folders (config.json, generation_config.json, safetensors, tokenizer files) that
// transformers' Olmo2ForCausalLM / Olmo3ForCausalLM load, and such folders as the step-0
// checkpoint a run starts from. The tensors pass through libladder_torch.so; the folder is
// written under a temporary name and renamed when whole.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include "cli/common.hpp"
#include "cli/modules.hpp"
#include "config/load.hpp"
#include "hf/export_folder.hpp"
#include "hf/hf_request.hpp"
#include "hf/olmo_format.hpp"
#include "io/checkpoint_dir.hpp"
#include "ladder/run_plan.hpp"
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

std::string chosen_checkpoint(const ExportOptions& options, const RunPlan& plan) {
    if (options.checkpoint) {
        if (!io::is_complete_checkpoint(*options.checkpoint))
            throw UsageError("--checkpoint '" + *options.checkpoint +
                             "': not a complete ladder checkpoint folder");
        return *options.checkpoint;
    }
    const std::vector<int64_t> saved = saved_steps(plan.save_folder, options.size, options.step);
    return io::checkpoint_dir(plan.save_folder, options.step.value_or(saved.back()));
}

void export_checkpoint(const ExportOptions& options, const CommonOptions& common) {
    const config::LadderConfig config = load_ladder(common);
    const RunPlan plan = plan_run(config, options.size);
    const std::string checkpoint = chosen_checkpoint(options, plan);
    const uint64_t shard_bytes = hf::parse_shard_size(options.max_shard_size, "--max-shard-size");
    using Entry = void (*)(const RunPlan*, const hf::ExportRequest*);
    const auto entry =
        reinterpret_cast<Entry>(module_symbol("libladder_torch.so", "ladder_torch_export"));
    std::cout << hf::write_export_folder(
                     config, plan, checkpoint, options.output, options.dtype, shard_bytes,
                     [&](const hf::ExportRequest& request) { entry(&plan, &request); })
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
        if (found.spec.head_dim * found.spec.n_heads != found.spec.d_model)
            size.head_dim = found.spec.head_dim;
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
    const bool made_folder = !fs::exists(folder);
    create_output_folder(folder, "-o");
    hf::ImportRequest request;
    request.hf_folder = options.hf_folder;
    request.save_folder = folder;
    request.config_json = config::to_json_text(config);
    using Entry = void (*)(const RunPlan*, const hf::ImportRequest*);
    try {
        reinterpret_cast<Entry>(module_symbol("libladder_torch.so", "ladder_torch_import"))(
            &plan, &request);
    } catch (...) {
        // Nothing left behind: the checkpoint is written whole or not at all, and the
        // folder made for it goes too.
        std::error_code error;
        if (made_folder)
            fs::remove_all(folder, error);
        throw;
    }
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
