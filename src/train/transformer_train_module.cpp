#include "train/transformer_train_module.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <future>
#include <sstream>

#include "dist/fully_sharded.hpp"
#include "dist/gradient_reducer.hpp"
#include "dist/rank_group.hpp"
#include "io/checkpoint_dir.hpp"
#include "model/loss.hpp"
#include "model/torch_compat.hpp"
#include "train/sharded_checkpoint.hpp"
#include "util/error.hpp"
#include "util/format.hpp"

namespace ladder::train {

namespace {

// Global L2 norm of all gradients, then gradients scaled down to at most `max_norm`
// (torch's clip_grad_norm_ semantics). Returns the norm before clipping. Sharded, the
// norm is the one over all ranks' shards.
at::Tensor clip_gradients(const std::vector<at::Tensor>& parameters, double max_norm,
                          const dist::FullySharded* sharded) {
    at::Tensor total;
    if (sharded) {
        total = sharded->grad_norm();
    } else {
        std::vector<at::Tensor> norms;
        for (const auto& p : parameters) {
            if (p.grad().defined())
                norms.push_back(p.grad().norm(2));
        }
        total = at::stack(norms).norm(2);
    }
    const at::Tensor scale = at::clamp_max(max_norm / (total + 1e-6), 1.0);
    for (const auto& p : parameters) {
        if (p.grad().defined())
            p.grad().mul_(scale);
    }
    return total;
}

// Device scalars of one step, read at the metrics collect interval; names as OLMo-core's
// TransformerTrainModule records them.
class TransformerStepMetrics : public StepMetrics {
  public:
    at::Tensor ce_loss, z_loss, grad_norm, skipped;  // 0-dim
    double lr = 0;
    double z_loss_multiplier = 0;
    int64_t step = 0;

    Metrics read() const override {
        Metrics metrics;
        const double ce = ce_loss.item<double>();
        if (!std::isfinite(ce)) {
            throw std::runtime_error("train/CE loss is " + format_metric(ce) + " at step " +
                                     std::to_string(step) +
                                     "; stopping (lower run.lr_multiplier or check the data)");
        }
        metrics["train/CE loss"] = ce;
        // OLMo-core's TransformerTrainModule records the perplexity only below a CE of 10,
        // where e^CE is still a readable number (e^10 = 22,026).
        if (ce < 10)
            metrics["train/PPL"] = std::exp(ce);
        if (z_loss_multiplier > 0) {
            const double z = z_loss.item<double>();
            metrics["train/Z loss"] = z;
            metrics["train/Z loss unscaled"] = z / z_loss_multiplier;
        }
        metrics["optim/total grad norm"] = grad_norm.item<double>();
        metrics["optim/step skipped"] = skipped.item<double>();
        metrics["optim/LR (group 0)"] = lr;
        metrics["optim/LR (group 1)"] = lr;
        return metrics;
    }
};

}  // namespace

TransformerTrainModule::TransformerTrainModule(const RunPlan& plan,
                                               const TransformerTrainModuleSettings& settings,
                                               c10::Device device, dist::RankGroup* group)
    : plan_(plan), settings_(settings), device_(device), group_(group) {
    model_ = model::Transformer(plan.model);
    model_->initialize(settings_.seed);
    model_->set_recomputed_blocks(settings_.recomputed_blocks);
    optim::ParamGroup embeddings{{}, 0.0};
    optim::ParamGroup rest{{}, plan.optimizer.weight_decay};
    if (group_ && settings_.data_parallel != "ddp") {
        dist::RankGroup* shard_group = group_;
        if (settings_.data_parallel == "hsdp") {
            // Groups of consecutive ranks (a node's, by default) share one copy of the
            // state; the ranks holding the same shard in each group are replicas.
            const int64_t degree = settings_.shard_degree, rank = group_->rank();
            std::vector<int64_t> shard_ranks, replica_ranks;
            for (int64_t r = 0; r < group_->size(); ++r) {
                if (r / degree == rank / degree)
                    shard_ranks.push_back(r);
                if (r % degree == rank % degree)
                    replica_ranks.push_back(r);
            }
            shard_group_ = group_->subgroup(shard_ranks, "shard" + std::to_string(rank / degree));
            replica_group_ =
                group_->subgroup(replica_ranks, "replica" + std::to_string(rank % degree));
            shard_group = shard_group_.get();
        }
        // Cut from the model on the CPU: the device holds only its shards.
        sharded_ = std::make_unique<dist::FullySharded>(*model_, *shard_group, replica_group_.get(),
                                                        settings_.param_dtype,
                                                        settings_.reduce_dtype, device_);
        model_->set_unit_hooks(sharded_.get());
        // The first unit is the embeddings.
        for (size_t u = 0; u < sharded_->shards().size(); ++u) {
            (u == 0 ? embeddings : rest).params.push_back(sharded_->shards()[u]);
            parameters_.push_back(sharded_->shards()[u]);
        }
    } else {
        model_->to(device_);
        for (const auto& item : model_->named_parameters()) {
            (item.key() == "embeddings.weight" ? embeddings : rest).params.push_back(item.value());
            parameters_.push_back(item.value());
        }
        if (group_)
            reducer_ = std::make_unique<dist::GradientReducer>(*group_, parameters_);
    }
    optimizer_ = std::make_unique<optim::SkipStepAdamW>(
        std::vector<optim::ParamGroup>{embeddings, rest},
        optim::AdamWSettings{plan.optimizer.beta1, plan.optimizer.beta2, plan.optimizer.eps});
    model_->train();
}

TransformerTrainModule::~TransformerTrainModule() {
    if (shard_write_.valid())
        shard_write_.wait();  // its error, if any, reached rank 0's writer
    if (sharded_)
        model_->set_unit_hooks(nullptr);
}

int64_t TransformerTrainModule::held_parameter_elements() const {
    int64_t elements = 0;
    for (const at::Tensor& p : parameters_)
        elements += p.numel();
    return elements;
}

int64_t TransformerTrainModule::flops_per_token() const {
    return plan_.model.flops_per_token(plan_.batch.sequence_length);
}

at::Tensor TransformerTrainModule::tokens_on_device(const std::vector<int32_t>& tokens,
                                                    int64_t instances) const {
    const int64_t seq = static_cast<int64_t>(tokens.size()) / instances;
    // from_blob does not write through its pointer; the copy below owns the data.
    auto* data = const_cast<int32_t*>(tokens.data());
    const at::Tensor host = at::from_blob(data, {instances, seq}, at::kInt);
    // To a GPU from pinned memory without waiting: a copy from pageable memory would make
    // the host wait for the previous step's kernels (LibTorch's caching host allocator keeps
    // each pinned block until its copy is done).
    return device_.is_cuda() ? host.pin_memory().to(device_, at::kLong, /*non_blocking=*/true)
                             : host.to(at::kLong);
}

std::unique_ptr<StepMetrics> TransformerTrainModule::train_batch(
    const std::vector<int32_t>& tokens_host, int64_t step) {
    const int64_t instances =
        static_cast<int64_t>(tokens_host.size()) / plan_.batch.sequence_length;
    const at::Tensor tokens = tokens_on_device(tokens_host, instances);
    const at::Tensor labels = model::next_token_labels(tokens);
    // The loss of the whole rank batch is normalised by its label count, so micro-batches
    // add up to exactly the full-batch gradient.
    at::Tensor label_count = (labels != model::kIgnoreIndex).sum().to(at::kFloat);
    if (group_)
        group_->all_reduce_sum(label_count);  // over the whole global batch

    if (sharded_) {
        sharded_->start_step();
    } else {
        for (auto& p : parameters_)
            p.mutable_grad() = at::Tensor();
    }
    at::Tensor ce_sum = at::zeros({}, tokens.options().dtype(at::kFloat));
    at::Tensor z_sum = at::zeros_like(ce_sum);
    const int64_t micro = plan_.batch.rank_microbatch_instances();
    for (int64_t start = 0; start < instances; start += micro) {
        const int64_t n = std::min(micro, instances - start);
        if (reducer_ && start + micro >= instances)
            reducer_->arm();  // the last micro-batch: reduce while backward runs
        model::OutputLoss loss;
        {
            const model::CudaBf16Autocast autocast(device_.is_cuda());
            loss = model_->loss(tokens.narrow(0, start, n), labels.narrow(0, start, n),
                                settings_.z_loss_multiplier);
        }
        (loss.loss / label_count).backward();
        if (sharded_)
            sharded_->finish_backward();
        ce_sum += loss.ce;
        z_sum += loss.z;
    }
    if (reducer_)
        reducer_->finish();
    if (sharded_)
        sharded_->finish_step();

    auto metrics = std::make_unique<TransformerStepMetrics>();
    metrics->step = step;
    metrics->lr = plan_.lr_at_step(step);
    metrics->z_loss_multiplier = settings_.z_loss_multiplier;
    if (group_) {
        // The global losses, for the logs and the skip-step rule alike.
        at::Tensor sums = at::stack({ce_sum, z_sum});
        group_->all_reduce_sum(sums);
        ce_sum = sums[0];
        z_sum = sums[1];
    }
    metrics->ce_loss = ce_sum / label_count;
    metrics->z_loss = z_sum * settings_.z_loss_multiplier / label_count;
    metrics->grad_norm = clip_gradients(parameters_, settings_.max_grad_norm, sharded_.get());
    metrics->skipped = 1 - optimizer_->step(metrics->lr, metrics->ce_loss, metrics->grad_norm);
    return metrics;
}

void TransformerTrainModule::eval_batch(const std::vector<int32_t>& tokens_host,
                                        const std::vector<int64_t>& lengths) {
    const auto instances = static_cast<int64_t>(lengths.size());
    torch::NoGradGuard no_grad;
    model_->eval();
    start_eval_sums();
    if (instances == 0) {
        if (sharded_)
            sharded_->skip_forward();  // the other ranks' gathers need this rank's shards
        return;
    }
    const at::Tensor tokens = tokens_on_device(tokens_host, instances);
    const at::Tensor own = at::tensor(lengths, at::kLong).to(device_);
    const at::Tensor labels = model::next_token_labels(tokens, own);
    {
        const model::CudaBf16Autocast autocast(device_.is_cuda());
        eval_ce_sum_ += model_->loss(tokens, labels, 0).ce;
    }
    eval_labels_ += (labels != model::kIgnoreIndex).sum();
    for (const int64_t length : lengths)
        eval_tokens_ += static_cast<double>(length);
}

void TransformerTrainModule::start_eval_sums() {
    if (!eval_ce_sum_.defined()) {
        eval_ce_sum_ = at::zeros({}, at::TensorOptions().device(device_).dtype(at::kFloat));
        eval_labels_ = at::zeros({}, eval_ce_sum_.options().dtype(at::kDouble));
    }
}

EvalTotals TransformerTrainModule::eval_totals() {
    start_eval_sums();  // a rank without a batch of this set still takes part in the sum
    // Summed in fp64 so that counts past 2^24 stay exact.
    const auto fp64 = eval_ce_sum_.options().dtype(at::kDouble);
    at::Tensor sums = at::stack({eval_ce_sum_.to(at::kDouble), eval_labels_.to(at::kDouble),
                                 at::full({}, eval_tokens_, fp64)});
    if (group_)
        group_->all_reduce_sum(sums);
    const at::Tensor host = sums.cpu();
    eval_ce_sum_ = at::Tensor();
    eval_labels_ = at::Tensor();
    eval_tokens_ = 0;
    model_->train();
    return {host[0].item<double>(), host[1].item<double>(), host[2].item<double>()};
}

std::vector<float> TransformerTrainModule::score_batch(const std::vector<int32_t>& inputs,
                                                       const std::vector<int32_t>& targets,
                                                       int64_t instances) {
    if (instances == 0) {
        if (sharded_)
            sharded_->skip_forward();  // the other ranks' gathers need this rank's shards
        return {};
    }
    torch::NoGradGuard no_grad;
    model_->eval();
    at::Tensor sums;
    {
        const model::CudaBf16Autocast autocast(device_.is_cuda());
        sums = model_->target_log_probs(tokens_on_device(inputs, instances),
                                        tokens_on_device(targets, instances));
    }
    model_->train();
    const at::Tensor host = sums.cpu().contiguous();
    return std::vector<float>(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
}

void TransformerTrainModule::sum_over_ranks(std::vector<double>& values) {
    if (!group_ || values.empty())
        return;
    at::Tensor t = at::tensor(values, at::kDouble).to(device_);
    group_->all_reduce_sum(t);
    const at::Tensor host = t.cpu().contiguous();
    std::copy(host.data_ptr<double>(), host.data_ptr<double>() + host.numel(), values.begin());
}

// Nothing of a checkpoint is used before its bytes are proven to be the ones written. Rank 0
// reads them all and tells the others, who come to the same verdict without reading the
// whole checkpoint again each.
void TransformerTrainModule::verify_checkpoint(const std::string& dir) {
    std::optional<std::string> problem;
    if (!group_ || group_->rank() == 0) {
        problem = io::verify_checkpoint(dir);
        if (group_)
            group_->post("verified/" + dir, problem ? "damaged " + *problem : "ok");
    } else {
        const std::string verdict = group_->wait_for("verified/" + dir);
        if (verdict != "ok")
            problem = verdict.substr(verdict.find(' ') + 1);
    }
    if (problem)
        throw UsageError("checkpoint " + *problem);
}

TrainerState TransformerTrainModule::load_checkpoint(const std::string& dir) {
    verify_checkpoint(dir);
    if (!sharded_ && !is_sharded_checkpoint(dir))
        return train::load_checkpoint(dir, model_, *optimizer_);
    torch::NoGradGuard no_grad;
    const std::vector<dist::FlatUnit> units =
        sharded_ ? sharded_->units() : dist::flat_units(*model_, 1);
    optim::SkipStepAdamW::State state;
    // One unit's flat `part` at a time: this rank's shard of it when sharded, all of it
    // split into the parameters' tensors otherwise.
    std::function<at::Tensor(size_t, int, int64_t, int64_t)> read;
    std::unique_ptr<ShardedCheckpoint> sharded_files;
    std::vector<at::Tensor> flat_weights, flat_avg, flat_avg_sq;  // unsharded, per unit
    if (is_sharded_checkpoint(dir)) {
        sharded_files = std::make_unique<ShardedCheckpoint>(dir, units);
        read = [&](size_t u, int part, int64_t begin, int64_t count) {
            return sharded_files->read(u, static_cast<ShardedCheckpoint::Part>(part), begin, count);
        };
        state.step = sharded_files->step;
        state.losses = sharded_files->losses;
        state.grad_norms = sharded_files->grad_norms;
    } else {
        // An unsharded checkpoint into a sharded run: its tensors flattened unit by unit.
        std::vector<std::pair<std::string, at::IntArrayRef>> params;
        for (const dist::FlatUnit& unit : units) {
            for (size_t i = 0; i < unit.names.size(); ++i)
                params.emplace_back(unit.names[i], unit.shapes[i]);
        }
        UnshardedCheckpoint saved = read_unsharded_checkpoint(dir, params);
        size_t next = 0;
        for (const dist::FlatUnit& unit : units) {
            const auto flat = [&](const std::vector<at::Tensor>& tensors) {
                std::vector<at::Tensor> pieces;
                for (size_t i = 0; i < unit.names.size(); ++i)
                    pieces.push_back(tensors.at(next + i).reshape({-1}).to(at::kFloat));
                return at::cat(pieces);
            };
            flat_weights.push_back(flat(saved.weights));
            flat_avg.push_back(flat(saved.optimizer.exp_avg));
            flat_avg_sq.push_back(flat(saved.optimizer.exp_avg_sq));
            next += unit.names.size();
        }
        read = [&](size_t u, int part, int64_t begin, int64_t count) {
            const at::Tensor& all = (part == 0   ? flat_weights
                                     : part == 1 ? flat_avg
                                                 : flat_avg_sq)[u];
            at::Tensor out = at::zeros({count}, at::kFloat);
            const int64_t end = std::min(begin + count, all.numel());
            if (end > begin)
                out.narrow(0, 0, end - begin).copy_(all.narrow(0, begin, end - begin));
            return out;
        };
        state.step = saved.optimizer.step;
        state.losses = saved.optimizer.losses;
        state.grad_norms = saved.optimizer.grad_norms;
    }
    if (sharded_) {
        for (size_t u = 0; u < units.size(); ++u) {
            const int64_t count = units[u].shard_numel;
            const int64_t begin = sharded_->shard_rank() * count;
            sharded_->shards()[u].copy_(read(u, 0, begin, count));
            state.exp_avg.push_back(read(u, 1, begin, count).to(device_));
            state.exp_avg_sq.push_back(read(u, 2, begin, count).to(device_));
        }
    } else {
        auto params = model_->parameters();
        size_t next = 0;
        for (size_t u = 0; u < units.size(); ++u) {
            const dist::FlatUnit& unit = units[u];
            const at::Tensor weights = read(u, 0, 0, unit.numel);
            const at::Tensor avg = read(u, 1, 0, unit.numel);
            const at::Tensor avg_sq = read(u, 2, 0, unit.numel);
            for (size_t i = 0; i < unit.names.size(); ++i, ++next) {
                const int64_t offset = unit.offsets[i], n = params[next].numel();
                params[next].copy_(weights.narrow(0, offset, n).view(unit.shapes[i]));
                state.exp_avg.push_back(avg.narrow(0, offset, n).view(unit.shapes[i]).to(device_));
                state.exp_avg_sq.push_back(
                    avg_sq.narrow(0, offset, n).view(unit.shapes[i]).to(device_));
            }
        }
    }
    state.step = state.step.to(device_);
    for (auto* history : {&state.losses, &state.grad_norms}) {
        for (at::Tensor& value : *history)
            value = value.to(device_);
    }
    try {
        optimizer_->load_state(state);
    } catch (const std::exception& e) {
        throw UsageError("checkpoint '" + dir +
                         "' has optimizer state of another shape: " + first_line(e.what()));
    }
    return read_trainer_state(dir);
}

void TransformerTrainModule::sync_ranks() {
    // Every rank starts from rank 0's weights (and, on a resume, its optimizer state, which
    // all ranks loaded from the same files anyway). Shards were cut from the same weights
    // on every rank.
    if (group_ && !sharded_)
        group_->broadcast_from_rank0(parameters_);
}

void TransformerTrainModule::wait_for_ranks() {
    finish_shard_write();
    if (!group_)
        return;
    at::Tensor token = at::zeros({1}, at::TensorOptions().device(device_));
    group_->all_reduce_sum(token);
    token.item<float>();  // the host waits for the collective, not just its launch
}

std::shared_ptr<CheckpointContents> TransformerTrainModule::checkpoint(
    const TrainerState& state, const std::string& config_json, bool ephemeral, bool copy) {
    const bool main_rank = !group_ || group_->rank() == 0;
    if (sharded_)
        return sharded_checkpoint(state, config_json, ephemeral, copy);
    if (!main_rank)
        return nullptr;  // rank 0's weights and optimizer are every rank's
    return take_checkpoint(model_, *optimizer_, state, config_json, ephemeral, copy);
}

// Rank 0 prepares the step's temporary folder; then every rank of the first replica writes
// its shards there (from host copies, in the background when `copy`, as the unsharded
// writer does) and posts the file's size and CRC-32C, or its error, for rank 0's writer,
// which waits for all of them before it completes the checkpoint.
std::shared_ptr<CheckpointContents> TransformerTrainModule::sharded_checkpoint(
    const TrainerState& state, const std::string& config_json, bool ephemeral, bool copy) {
    namespace fs = std::filesystem;
    finish_shard_write();
    const bool main_rank = group_->rank() == 0;
    const std::string temporary = io::temporary_checkpoint_dir(plan_.save_folder, state.step);
    if (main_rank) {
        std::error_code ec;
        fs::remove_all(temporary, ec);
        fs::create_directories(fs::path(temporary) / "model_and_optim", ec);
        if (ec) {
            throw std::runtime_error("checkpoint of step " + std::to_string(state.step) +
                                     " not saved: cannot create '" + temporary +
                                     "': " + ec.message());
        }
    }
    wait_for_ranks();
    const std::string key = "checkpoint/" + std::to_string(state.step) + "/shard";
    if (!replica_group_ || replica_group_->rank() == 0) {
        const auto host = [](const std::vector<at::Tensor>& tensors) {
            std::vector<at::Tensor> copies;
            for (const at::Tensor& t : tensors)
                copies.push_back(t.detach().to(at::kCPU, at::kFloat, false, /*copy=*/true));
            return copies;
        };
        const auto& s = optimizer_->state();
        auto write = [group = group_, temporary, shard = sharded_->shard_rank(),
                      key = key + std::to_string(sharded_->shard_rank()),
                      weights = host(sharded_->shards()), exp_avg = host(s.exp_avg),
                      exp_avg_sq = host(s.exp_avg_sq)] {
            std::string result;
            try {
                const io::FileChecksum sum =
                    write_shard_file(temporary, shard, weights, exp_avg, exp_avg_sq);
                result = "ok " + std::to_string(sum.size) + " " + std::to_string(sum.crc32c);
            } catch (const std::exception& e) {
                result = "error " + first_line(e.what());
            }
            group->post(key, result);
        };
        if (copy)
            shard_write_ = std::async(std::launch::async, std::move(write));
        else
            write();
    }
    if (!main_rank)
        return nullptr;
    auto written = [group = group_, key, shards = sharded_->degree()] {
        std::vector<io::FileChecksum> files;
        for (int64_t r = 0; r < shards; ++r) {
            std::istringstream result(group->wait_for(key + std::to_string(r)));
            std::string status;
            io::FileChecksum sum{"model_and_optim/rank" + std::to_string(r) + ".bin"};
            result >> status;
            if (status != "ok") {
                std::string error;
                std::getline(result, error);
                throw std::runtime_error("rank " + std::to_string(r) +
                                         " could not write its shard:" + error);
            }
            result >> sum.size >> sum.crc32c;
            files.push_back(sum);
        }
        return files;
    };
    return sharded_checkpoint_contents(written,
                                       shards_json(settings_.data_parallel, sharded_->degree(),
                                                   sharded_->units(), optimizer_->state()),
                                       state, config_json, ephemeral);
}

void TransformerTrainModule::finish_shard_write() {
    if (shard_write_.valid())
        shard_write_.get();
}

}  // namespace ladder::train
