#include "train/sharded_checkpoint.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/file_sink.hpp"
#include "util/error.hpp"
#include "util/format.hpp"
#include "util/input_file.hpp"

namespace ladder::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kShardsFile = "model_and_optim/shards.json";
constexpr const char* kFormat = "ladder-sharded-1";
constexpr int64_t kParts = 3;

std::string shard_file(int64_t shard) {
    return "model_and_optim/rank" + std::to_string(shard) + ".bin";
}

std::vector<double> host_values(const std::deque<at::Tensor>& history) {
    std::vector<double> values;
    for (const at::Tensor& t : history)
        values.push_back(t.item<double>());
    return values;
}

std::deque<at::Tensor> history_tensors(const nlohmann::json& values) {
    std::deque<at::Tensor> history;
    for (const auto& value : values)
        history.push_back(at::scalar_tensor(value.get<double>(), at::kFloat));
    return history;
}

}  // namespace

bool is_sharded_checkpoint(const std::string& dir) {
    return fs::exists(fs::path(dir) / kShardsFile);
}

io::FileChecksum write_shard_file(const std::string& folder, int64_t shard,
                                  const std::vector<at::Tensor>& weights,
                                  const std::vector<at::Tensor>& exp_avg,
                                  const std::vector<at::Tensor>& exp_avg_sq) {
    io::FileSink file((fs::path(folder) / shard_file(shard)).string());
    for (size_t u = 0; u < weights.size(); ++u) {
        for (const at::Tensor* part : {&weights[u], &exp_avg[u], &exp_avg_sq[u]}) {
            const at::Tensor host = part->detach().to(at::kCPU, at::kFloat).contiguous();
            file.write(host.data_ptr<float>(), static_cast<size_t>(host.numel()) * sizeof(float));
        }
    }
    return file.finish(shard_file(shard));
}

std::string shards_json(const std::string& mode, int64_t degree,
                        const std::vector<dist::FlatUnit>& units,
                        const optim::SkipStepAdamW::State& state) {
    nlohmann::ordered_json json = {{"format", kFormat}, {"mode", mode}, {"shards", degree}};
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const dist::FlatUnit& unit : units) {
        list.push_back({{"names", unit.names},
                        {"shapes", unit.shapes},
                        {"offsets", unit.offsets},
                        {"numel", unit.numel},
                        {"shard_numel", unit.shard_numel}});
    }
    json["units"] = list;
    json["optimizer"] = {{"step", state.step.item<double>()},
                         {"losses", host_values(state.losses)},
                         {"grad_norms", host_values(state.grad_norms)}};
    return json.dump(1) + "\n";
}

ShardedCheckpoint::ShardedCheckpoint(const std::string& dir,
                                     const std::vector<dist::FlatUnit>& model_units)
    : dir_(dir) {
    const std::string path = (fs::path(dir) / kShardsFile).string();
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(read_input_file(path, "sharded checkpoint layout", 64 << 20));
        if (json.at("format") != kFormat)
            throw UsageError("expected format " + std::string(kFormat));
        degree_ = json.at("shards").get<int64_t>();
        const nlohmann::json& units = json.at("units");
        if (degree_ < 1)
            throw UsageError("expected 1 or more shards, got " + std::to_string(degree_));
        if (units.size() != model_units.size()) {
            throw UsageError("has " + std::to_string(units.size()) + " units, the model " +
                             std::to_string(model_units.size()) + " (another size?)");
        }
        int64_t first = 0;
        for (size_t u = 0; u < units.size(); ++u) {
            const dist::FlatUnit& want = model_units[u];
            const auto names = units[u].at("names").get<std::vector<std::string>>();
            const auto shapes = units[u].at("shapes").get<std::vector<std::vector<int64_t>>>();
            if (names != want.names)
                throw UsageError("unit " + std::to_string(u) + " holds other parameters");
            for (size_t i = 0; i < names.size(); ++i) {
                if (shapes.at(i) != want.shapes[i]) {
                    throw UsageError(names[i] + " has shape " +
                                     c10::str(at::IntArrayRef(shapes[i])) + ", the model " +
                                     c10::str(at::IntArrayRef(want.shapes[i])) +
                                     " (another size or vocab?)");
                }
            }
            numel_.push_back(want.numel);
            shard_numel_.push_back(units[u].at("shard_numel").get<int64_t>());
            if (shard_numel_.back() * degree_ < want.numel || shard_numel_.back() > want.numel)
                throw UsageError("unit " + std::to_string(u) +
                                 " has a shard size that does not fit");
            first_element_.push_back(first);
            first += kParts * shard_numel_.back();
        }
        for (int64_t r = 0; r < degree_; ++r) {
            const fs::path file = fs::path(dir) / shard_file(r);
            std::error_code ec;
            const auto size = fs::file_size(file, ec);
            if (ec || size != static_cast<uintmax_t>(first) * sizeof(float)) {
                throw UsageError("'" + file.string() + "' should hold " +
                                 std::to_string(first * 4) + " bytes");
            }
        }
        const nlohmann::json& optimizer = json.at("optimizer");
        step = at::scalar_tensor(optimizer.at("step").get<double>(), at::kFloat);
        losses = history_tensors(optimizer.at("losses"));
        grad_norms = history_tensors(optimizer.at("grad_norms"));
    } catch (const UsageError& e) {
        throw UsageError("checkpoint '" + path + "': " + e.what());
    } catch (const std::exception& e) {
        throw UsageError("checkpoint '" + path + "' cannot be read: " + first_line(e.what()));
    }
}

at::Tensor ShardedCheckpoint::read(size_t unit, Part part, int64_t begin, int64_t count) const {
    at::Tensor out = at::zeros({count}, at::kFloat);
    const int64_t shard = shard_numel_[unit];
    const int64_t end = std::min(begin + count, numel_[unit]);
    // The range crosses shard files at multiples of the shard size.
    for (int64_t pos = begin; pos < end;) {
        const int64_t r = pos / shard, within = pos % shard;
        const int64_t n = std::min(end - pos, shard - within);
        const fs::path file = fs::path(dir_) / shard_file(r);
        std::ifstream in(file, std::ios::binary);
        const int64_t element = first_element_[unit] + part * shard + within;
        in.seekg(element * static_cast<int64_t>(sizeof(float)));
        in.read(reinterpret_cast<char*>(out.data_ptr<float>() + (pos - begin)),
                n * static_cast<int64_t>(sizeof(float)));
        if (!in)
            throw UsageError("checkpoint '" + file.string() + "' cannot be read");
        pos += n;
    }
    return out;
}

}  // namespace ladder::train
