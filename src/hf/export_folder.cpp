// The Hugging Face folder of one checkpoint (see export_folder.hpp).
#include "hf/export_folder.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "config/tokenizers.hpp"
#include "hf/olmo_format.hpp"
#include "tokenizer/bpe_loader.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/format.hpp"
#include "util/input_file.hpp"

namespace ladder::hf {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void write_json(const std::string& path, const json& value) {
    write_text_atomically(path, [&](std::ostream& out) { out << value.dump(2) << "\n"; });
}

// The tokenizer files HF reads, when the ladder's tokenizer has them: a tokenizer.json it
// was given (with the tokenizer_config.json beside it), or a byte-level preset's. Returns
// what was written, for the summary ("" for nothing).
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

}  // namespace

uint64_t parse_shard_size(const std::string& text, const std::string& what) {
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
        throw UsageError(what + " '" + text +
                         "': expected a size such as 5GB, 500MB, 2GiB or a number of bytes");
    return static_cast<uint64_t>(value * scale);
}

std::string default_export_folder(const RunPlan& plan, int64_t step) {
    return (fs::path(plan.save_folder) / "hf" / ("step" + std::to_string(step))).string();
}

std::string write_export_folder(const config::LadderConfig& config, const RunPlan& plan,
                                const std::string& checkpoint,
                                const std::optional<std::string>& chosen_folder,
                                const std::string& dtype, uint64_t max_shard_bytes,
                                const std::function<void(const ExportRequest&)>& write_weights) {
    config::TokenizerConfig tokenizer = config.tokenizer;
    config::resolve_tokenizer(tokenizer);
    const SpecialTokens ids = {tokenizer.pad_token_id, tokenizer.bos_token_id,
                               tokenizer.eos_token_id};
    ExportRequest request;
    request.checkpoint = checkpoint;
    request.dtype = dtype;
    request.max_shard_bytes = max_shard_bytes;
    request.vocab_rows = *tokenizer.vocab_size;
    const json hf = hf_config(plan.model, config.sequence_length, request.vocab_rows, ids,
                              dtype == "bf16" ? "bfloat16" : "float32");
    const json state =
        json::parse(read_input_file(checkpoint + "/train/rank0.json", "trainer state", 1 << 20));
    const int64_t step = state.value("global_step", int64_t{0});
    const std::string folder = chosen_folder.value_or(default_export_folder(plan, step));
    if (fs::exists(folder))
        throw UsageError("-o '" + folder + "' exists already; remove it or choose another");

    const std::string partial = folder + ".partial";
    std::error_code error;
    fs::remove_all(partial, error);
    create_output_folder(partial, "-o");
    std::string tokenizer_files;
    try {
        request.folder = partial;
        write_weights(request);
        write_json(partial + "/config.json", hf);
        write_json(partial + "/generation_config.json", hf_generation_config(ids));
        tokenizer_files = write_tokenizer_files(config, partial);
        write_json(partial + "/ladder_export.json",
                   {{"source_checkpoint", fs::absolute(checkpoint).string()},
                    {"step", step},
                    {"tokens_seen", state.value("global_train_tokens_seen", int64_t{0})},
                    {"size", plan.size},
                    {"run_name", plan.run_name},
                    {"family", plan.model.family},
                    {"num_params", plan.num_params},
                    {"dtype", dtype},
                    {"sequence_length", config.sequence_length},
                    {"ladder_version", LADDER_VERSION}});
        fs::rename(partial, folder);
    } catch (...) {
        fs::remove_all(partial, error);
        throw;
    }
    return "Exported " + plan.size + " step " + with_commas(step) + " (" +
           hf["architectures"][0].get<std::string>() + ", " + dtype + ") to '" + folder + "'" +
           (tokenizer_files.empty() ? " without tokenizer files (tokenizer '" +
                                          config.tokenizer.name + "' has no tokenizer.json)"
                                    : " with " + tokenizer_files);
}

}  // namespace ladder::hf
