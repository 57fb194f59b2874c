// Hugging Face safetensors from and into a model (see hf_weights.hpp).
#include "train/hf_weights.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "hf/olmo_format.hpp"
#include "hf/safetensors.hpp"
#include "train/checkpoint.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/input_file.hpp"

namespace ladder::train {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors are little-endian: raw copies need a little-endian host");

std::string shard_name(size_t index, size_t count) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", index + 1, count);
    return name;
}

// The files of an HF folder and which holds each tensor: model.safetensors, or the shards
// model.safetensors.index.json lists.
struct HfFiles {
    std::vector<std::unique_ptr<hf::SafetensorsFile>> files;
    std::map<std::string, std::pair<const hf::SafetensorsFile*, const hf::TensorEntry*>> tensors;
};

HfFiles open_hf_files(const std::string& folder) {
    HfFiles out;
    const fs::path single = fs::path(folder) / "model.safetensors";
    const fs::path index = fs::path(folder) / "model.safetensors.index.json";
    std::vector<std::string> names;
    if (fs::exists(index)) {
        json map;
        try {
            map = json::parse(read_input_file(index.string(), "safetensors index", 64 << 20));
        } catch (const json::parse_error&) {
            throw UsageError("safetensors index '" + index.string() + "': not JSON");
        }
        if (!map.is_object() || !map.contains("weight_map") || !map["weight_map"].is_object())
            throw UsageError("safetensors index '" + index.string() + "': no weight_map object");
        for (const auto& [tensor, file] : map["weight_map"].items()) {
            if (!file.is_string() || file.get<std::string>().find('/') != std::string::npos)
                throw UsageError("safetensors index '" + index.string() + "': weight_map." +
                                 tensor + " is not a file name of the folder");
            if (std::find(names.begin(), names.end(), file.get<std::string>()) == names.end())
                names.push_back(file.get<std::string>());
        }
    } else if (fs::exists(single)) {
        names.push_back("model.safetensors");
    } else {
        throw UsageError("Hugging Face folder '" + folder +
                         "' has neither model.safetensors nor model.safetensors.index.json");
    }
    for (const std::string& name : names) {
        out.files.push_back(
            std::make_unique<hf::SafetensorsFile>((fs::path(folder) / name).string()));
        const hf::SafetensorsFile& file = *out.files.back();
        for (const hf::TensorEntry& entry : file.tensors()) {
            if (!out.tensors.emplace(entry.name, std::make_pair(&file, &entry)).second)
                throw UsageError("Hugging Face folder '" + folder + "': tensor '" + entry.name +
                                 "' is in two files");
        }
    }
    return out;
}

}  // namespace

namespace {

bool vocabulary_rows(const std::string& name) {
    return name == "embeddings.weight" || name == "lm_head.w_out.weight";
}

}  // namespace

uint64_t write_hf_weights(model::Transformer& model, const std::string& folder,
                          at::ScalarType dtype, uint64_t max_shard_bytes, int64_t vocab_rows) {
    torch::NoGradGuard no_grad;
    const std::string dtype_name = dtype == at::kBFloat16 ? "BF16" : "F32";
    const uint64_t item = dtype == at::kBFloat16 ? 2 : 4;
    // Shards in parameter order, each as full as the limit allows.
    struct Item {
        std::string hf_name;
        at::Tensor weight;
    };
    std::vector<std::vector<Item>> shards(1);
    uint64_t shard_bytes = 0, total = 0;
    for (const auto& p : model->named_parameters()) {
        const at::Tensor weight =
            vocabulary_rows(p.key()) ? p.value().narrow(0, 0, vocab_rows) : p.value();
        const uint64_t bytes = static_cast<uint64_t>(weight.numel()) * item;
        if (!shards.back().empty() && shard_bytes + bytes > max_shard_bytes) {
            shards.emplace_back();
            shard_bytes = 0;
        }
        shards.back().push_back({hf::hf_parameter_name(p.key()), weight});
        shard_bytes += bytes;
        total += bytes;
    }
    json weight_map = json::object();
    for (size_t s = 0; s < shards.size(); ++s) {
        const std::string name =
            shards.size() == 1 ? "model.safetensors" : shard_name(s, shards.size());
        std::vector<hf::TensorEntry> entries;
        for (const Item& item_ : shards[s]) {
            hf::TensorEntry entry;
            entry.name = item_.hf_name;
            entry.dtype = dtype_name;
            entry.shape = item_.weight.sizes().vec();
            entries.push_back(entry);
            weight_map[item_.hf_name] = name;
        }
        hf::SafetensorsWriter writer((fs::path(folder) / name).string(), std::move(entries),
                                     {{"format", "pt"}});
        for (const Item& item_ : shards[s]) {
            // One tensor converted at a time: never a second copy of the model.
            const at::Tensor out = item_.weight.detach().to(at::kCPU, dtype).contiguous();
            writer.write(out.data_ptr(), static_cast<size_t>(out.numel()) * item);
        }
        writer.close();
    }
    if (shards.size() > 1) {
        const json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
        write_text_atomically((fs::path(folder) / "model.safetensors.index.json").string(),
                              [&](std::ostream& out) { out << index.dump(2) << "\n"; });
    }
    return total;
}

void export_checkpoint_weights(const RunPlan& plan, const hf::ExportRequest& request) {
    // The weights alone: one fp32 copy of the model, no optimizer moments.
    model::Transformer model(plan.model);
    load_checkpoint_weights(request.checkpoint, model);
    write_hf_weights(model, request.folder, request.dtype == "bf16" ? at::kBFloat16 : at::kFloat,
                     request.max_shard_bytes, request.vocab_rows);
}

void read_hf_weights(const std::string& folder, model::Transformer& model) {
    torch::NoGradGuard no_grad;
    HfFiles files = open_hf_files(folder);
    std::map<std::string, bool> used;
    for (const auto& [name, where] : files.tensors)
        used[name] = false;
    for (auto& p : model->named_parameters()) {
        const std::string hf_name = hf::hf_parameter_name(p.key());
        const auto found = files.tensors.find(hf_name);
        if (found == files.tensors.end())
            throw UsageError("Hugging Face folder '" + folder + "': tensor '" + hf_name +
                             "' is missing");
        const auto& [file, entry] = found->second;
        const std::string where = "tensor '" + hf_name + "' of '" + file->path() + "'";
        std::vector<int64_t> expected = p.value().sizes().vec();
        // The vocabulary without the padding rows is as good: they stay zero.
        if (vocabulary_rows(p.key()) && entry->shape.size() == 2 && entry->shape[0] > 0 &&
            entry->shape[0] <= expected[0])
            expected[0] = entry->shape[0];
        if (entry->shape != expected) {
            throw UsageError(where + ": shape " + json(entry->shape).dump() + ", expected " +
                             json(p.value().sizes().vec()).dump());
        }
        at::ScalarType type;
        if (entry->dtype == "F32")
            type = at::kFloat;
        else if (entry->dtype == "BF16")
            type = at::kBFloat16;
        else if (entry->dtype == "F16")
            type = at::kHalf;
        else
            throw UsageError(where + ": dtype " + entry->dtype + ", expected F32, BF16 or F16");
        at::Tensor raw = at::empty(entry->shape, at::TensorOptions().dtype(type));
        file->read(*entry, raw.data_ptr());
        p.value().zero_();
        p.value().narrow(0, 0, expected[0]).copy_(raw.to(p.value().scalar_type()));
        used[hf_name] = true;
    }
    for (const auto& [name, was_used] : used) {
        if (!was_used)
            throw UsageError("Hugging Face folder '" + folder + "': tensor '" + name +
                             "' is no parameter of an Olmo2/Olmo3 model of this size");
    }
}

}  // namespace ladder::train
