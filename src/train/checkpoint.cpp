#include "train/checkpoint.hpp"

#include <torch/serialize/archive.h>

#include <spdlog/spdlog.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dist/fully_sharded.hpp"
#include "io/checkpoint_dir.hpp"
#include "io/file_sink.hpp"
#include "train/sharded_checkpoint.hpp"
#include "util/crc32c.hpp"
#include "util/error.hpp"
#include "util/format.hpp"

namespace ladder::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kVersion = "ladder-checkpoint-1";

// Each writes `relative` inside `folder` and returns its checksum.
io::FileChecksum write_text(const fs::path& folder, const std::string& relative,
                            const std::string& text) {
    io::FileSink file((folder / relative).string());
    file.write(text.data(), text.size());
    return file.finish(relative);
}

io::FileChecksum write_archive(const fs::path& folder, const std::string& relative,
                               torch::serialize::OutputArchive& archive) {
    io::FileSink file((folder / relative).string());
    archive.save_to([&file](const void* data, size_t size) { return file.write(data, size); });
    return file.finish(relative);
}

void write_history(torch::serialize::OutputArchive& archive, const std::string& key,
                   const std::deque<at::Tensor>& history) {
    archive.write(key,
                  history.empty()
                      ? at::empty({0})
                      : at::stack(std::vector<at::Tensor>(history.begin(), history.end())).cpu());
}

std::deque<at::Tensor> read_history(torch::serialize::InputArchive& archive,
                                    const std::string& key) {
    at::Tensor stacked;
    archive.read(key, stacked);
    std::deque<at::Tensor> history;
    for (int64_t i = 0; i < stacked.size(0); ++i)
        history.push_back(stacked[i].clone());
    return history;
}

}  // namespace

struct CheckpointContents {
    torch::serialize::OutputArchive weights;
    torch::serialize::OutputArchive optim;
    // Sharded: the shard files' checksums once their ranks wrote them, and shards.json.
    std::function<std::vector<io::FileChecksum>()> written;
    std::string shards_layout;
    TrainerState state;
    std::string config_json;
    bool ephemeral = false;
};

std::shared_ptr<CheckpointContents> take_checkpoint(model::Transformer& model,
                                                    const optim::SkipStepAdamW& optimizer,
                                                    const TrainerState& state,
                                                    const std::string& config_json, bool ephemeral,
                                                    bool copy) {
    const auto host = [copy](const at::Tensor& t) {
        return t.detach().to(at::kCPU, t.scalar_type(), /*non_blocking=*/false, copy);
    };
    auto c = std::make_shared<CheckpointContents>();
    for (const auto& item : model->named_parameters())
        c->weights.write(item.key(), host(item.value()));
    const auto& s = optimizer.state();
    for (size_t i = 0; i < s.exp_avg.size(); ++i) {
        c->optim.write("exp_avg." + std::to_string(i), host(s.exp_avg[i]));
        c->optim.write("exp_avg_sq." + std::to_string(i), host(s.exp_avg_sq[i]));
    }
    c->optim.write("step", host(s.step));
    write_history(c->optim, "losses", s.losses);
    write_history(c->optim, "grad_norms", s.grad_norms);
    c->state = state;
    c->config_json = config_json;
    c->ephemeral = ephemeral;
    return c;
}

std::shared_ptr<CheckpointContents> sharded_checkpoint_contents(
    std::function<std::vector<io::FileChecksum>()> written, std::string layout,
    const TrainerState& state, const std::string& config_json, bool ephemeral) {
    auto c = std::make_shared<CheckpointContents>();
    c->written = std::move(written);
    c->shards_layout = std::move(layout);
    c->state = state;
    c->config_json = config_json;
    c->ephemeral = ephemeral;
    return c;
}

namespace {

void write_files(const std::string& save_folder, const std::string& temporary,
                 CheckpointContents& c) {
    fs::create_directories(fs::path(temporary) / "model_and_optim");
    fs::create_directories(fs::path(temporary) / "train");
    std::vector<io::FileChecksum> files;
    if (c.written)
        files = c.written();
    if (c.shards_layout.empty()) {
        files.push_back(write_archive(temporary, "model_and_optim/model.pt", c.weights));
        files.push_back(write_archive(temporary, "model_and_optim/optim.pt", c.optim));
    } else {
        files.push_back(write_text(temporary, "model_and_optim/shards.json", c.shards_layout));
    }
    const nlohmann::json trainer = {{"global_step", c.state.step},
                                    {"global_train_tokens_seen", c.state.tokens_seen},
                                    {"data_loader",
                                     {{"epoch", c.state.loader.epoch},
                                      {"batches_processed", c.state.loader.batches_processed}}},
                                    {"world_size", c.state.world_size},
                                    {"version", kVersion}};
    files.push_back(write_text(temporary, "train/rank0.json", trainer.dump(2) + "\n"));
    files.push_back(write_text(temporary, "config.json", c.config_json));
    const std::string final_dir = io::checkpoint_dir(save_folder, c.state.step);
    if (io::commit_checkpoint(temporary, final_dir, kVersion, c.ephemeral, files) ==
        io::CommitResult::kept_identical)
        spdlog::info("{} already holds this checkpoint, byte for byte; kept as it is", final_dir);
}

// A write that fails (disk full, quota, file size limit, permissions) leaves the earlier
// checkpoints as they are and no temporary behind, and ends the run with one line.
void write_checkpoint(const std::string& save_folder, CheckpointContents& c) {
    const std::string temporary = io::temporary_checkpoint_dir(save_folder, c.state.step);
    std::error_code ec;
    // A sharded checkpoint's ranks have written their shards there already.
    if (c.shards_layout.empty())
        fs::remove_all(temporary, ec);
    const std::string not_saved =
        "checkpoint of step " + std::to_string(c.state.step) + " not saved: ";
    try {
        write_files(save_folder, temporary, c);
    } catch (const UsageError& e) {
        fs::remove_all(temporary, ec);
        throw UsageError(not_saved + e.what());
    } catch (const std::exception& e) {
        fs::remove_all(temporary, ec);
        throw std::runtime_error(not_saved + first_line(e.what()));
    }
}

}  // namespace

CheckpointWriter::~CheckpointWriter() {
    // A write still running finishes (or fails) before the process goes on to exit; an
    // error here was already overtaken by the one unwinding the trainer.
    if (pending_.valid())
        pending_.wait();
}

void CheckpointWriter::save(std::shared_ptr<CheckpointContents> contents) {
    wait();
    if (!async_) {
        write_checkpoint(save_folder_, *contents);
        return;
    }
    pending_ = std::async(std::launch::async, [folder = save_folder_, contents] {
        write_checkpoint(folder, *contents);
    });
}

bool CheckpointWriter::busy() {
    if (!pending_.valid())
        return false;
    if (pending_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        return true;
    pending_.get();
    return false;
}

void CheckpointWriter::wait() {
    if (pending_.valid())
        pending_.get();
}

namespace {

// The weights of an unsharded checkpoint (model.pt), named and shaped as `params`.
std::vector<at::Tensor> read_weights(
    const std::string& dir, const std::vector<std::pair<std::string, at::IntArrayRef>>& params) {
    const std::string path = (fs::path(dir) / "model_and_optim" / "model.pt").string();
    std::vector<at::Tensor> weights;
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path);
        for (const auto& [name, shape] : params) {
            at::Tensor tensor;
            archive.read(name, tensor);
            if (!tensor.sizes().equals(shape)) {
                throw UsageError("checkpoint '" + path + "': " + name + " has shape " +
                                 c10::str(tensor.sizes()) + ", the model " + c10::str(shape) +
                                 " (another size or vocab?)");
            }
            weights.push_back(tensor);
        }
    } catch (const UsageError&) {
        throw;
    } catch (const std::exception& e) {
        throw UsageError("checkpoint '" + path + "' cannot be loaded: " + first_line(e.what()));
    }
    return weights;
}

}  // namespace

UnshardedCheckpoint read_unsharded_checkpoint(
    const std::string& dir, const std::vector<std::pair<std::string, at::IntArrayRef>>& params) {
    const fs::path root(dir);
    const std::string optim_path = (root / "model_and_optim" / "optim.pt").string();
    UnshardedCheckpoint saved;
    saved.weights = read_weights(dir, params);
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(optim_path);
        for (size_t i = 0; i < params.size(); ++i) {
            saved.optimizer.exp_avg.emplace_back();
            saved.optimizer.exp_avg_sq.emplace_back();
            archive.read("exp_avg." + std::to_string(i), saved.optimizer.exp_avg.back());
            archive.read("exp_avg_sq." + std::to_string(i), saved.optimizer.exp_avg_sq.back());
        }
        archive.read("step", saved.optimizer.step);
        saved.optimizer.losses = read_history(archive, "losses");
        saved.optimizer.grad_norms = read_history(archive, "grad_norms");
    } catch (const UsageError&) {
        throw;
    } catch (const std::exception& e) {
        throw UsageError("checkpoint '" + optim_path +
                         "' cannot be loaded: " + first_line(e.what()));
    }
    return saved;
}

void load_checkpoint_weights(const std::string& dir, model::Transformer& model) {
    if (const std::optional<std::string> problem = io::verify_checkpoint(dir))
        throw UsageError("checkpoint " + *problem);
    torch::NoGradGuard no_grad;
    const std::vector<dist::FlatUnit> units = dist::flat_units(*model, 1);
    auto parameters = model->named_parameters();
    if (is_sharded_checkpoint(dir)) {
        // Each unit's flat weights, split into its parameters.
        const ShardedCheckpoint files(dir, units);
        for (size_t u = 0; u < units.size(); ++u) {
            const at::Tensor flat = files.read(u, ShardedCheckpoint::kWeights, 0, units[u].numel);
            for (size_t i = 0; i < units[u].names.size(); ++i) {
                at::Tensor& p = parameters[units[u].names[i]];
                p.copy_(flat.narrow(0, units[u].offsets[i], p.numel()).view(p.sizes()));
            }
        }
        return;
    }
    std::vector<std::pair<std::string, at::IntArrayRef>> params;
    for (const auto& p : parameters)
        params.emplace_back(p.key(), p.value().sizes());
    const std::vector<at::Tensor> weights = read_weights(dir, params);
    for (size_t i = 0; i < weights.size(); ++i)
        parameters[params[i].first].copy_(weights[i]);
}

TrainerState load_checkpoint(const std::string& dir, model::Transformer& model,
                             optim::SkipStepAdamW& optimizer) {
    std::vector<std::pair<std::string, at::IntArrayRef>> params;
    for (const auto& item : model->named_parameters())
        params.emplace_back(item.key(), item.value().sizes());
    const UnshardedCheckpoint saved = read_unsharded_checkpoint(dir, params);
    torch::NoGradGuard no_grad;
    size_t i = 0;
    for (auto& item : model->named_parameters())
        item.value().copy_(saved.weights[i++]);
    try {
        optimizer.load_state(saved.optimizer);
    } catch (const std::exception& e) {
        throw UsageError("checkpoint '" + dir +
                         "/model_and_optim/optim.pt' cannot be loaded: " + first_line(e.what()));
    }
    return read_trainer_state(dir);
}

TrainerState read_trainer_state(const std::string& dir) {
    const std::string state_path = (fs::path(dir) / "train" / "rank0.json").string();
    try {
        std::ifstream in(state_path);
        const nlohmann::json j = nlohmann::json::parse(in);
        TrainerState state;
        state.step = j.at("global_step");
        state.tokens_seen = j.at("global_train_tokens_seen");
        state.loader.epoch = j.at("data_loader").at("epoch");
        state.loader.batches_processed = j.at("data_loader").at("batches_processed");
        return state;
    } catch (const std::exception& e) {
        throw UsageError("checkpoint '" + state_path + "' cannot be read: " + e.what());
    }
}

}  // namespace ladder::train
