#include "train/transformer_train_module.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cmath>

#include "dist/gradient_reducer.hpp"
#include "dist/rank_group.hpp"
#include "model/loss.hpp"
#include "model/torch_compat.hpp"
#include "util/format.hpp"

namespace ladder::train {

namespace {

// Global L2 norm of all gradients, then gradients scaled down to at most `max_norm`
// (torch's clip_grad_norm_ semantics). Returns the norm before clipping.
at::Tensor clip_gradients(const std::vector<at::Tensor>& parameters, double max_norm) {
    std::vector<at::Tensor> norms;
    for (const auto& p : parameters) {
        if (p.grad().defined())
            norms.push_back(p.grad().norm(2));
    }
    const at::Tensor total = at::stack(norms).norm(2);
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
    model_->to(device_);
    optim::ParamGroup embeddings{{}, 0.0};
    optim::ParamGroup rest{{}, plan.optimizer.weight_decay};
    for (const auto& item : model_->named_parameters()) {
        (item.key() == "embeddings.weight" ? embeddings : rest).params.push_back(item.value());
        parameters_.push_back(item.value());
    }
    if (group_)
        reducer_ = std::make_unique<dist::GradientReducer>(*group_, parameters_);
    optimizer_ = std::make_unique<optim::SkipStepAdamW>(
        std::vector<optim::ParamGroup>{embeddings, rest},
        optim::AdamWSettings{plan.optimizer.beta1, plan.optimizer.beta2, plan.optimizer.eps});
    model_->train();
}

TransformerTrainModule::~TransformerTrainModule() = default;

int64_t TransformerTrainModule::flops_per_token() const {
    return plan_.model.flops_per_token(plan_.batch.sequence_length);
}

at::Tensor TransformerTrainModule::tokens_on_device(const std::vector<int32_t>& tokens,
                                                    int64_t instances) const {
    const int64_t seq = plan_.batch.sequence_length;
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
    const at::Tensor labels = model::next_token_labels(tokens, settings_.pad_token_id);
    // The loss of the whole rank batch is normalised by its label count, so micro-batches
    // add up to exactly the full-batch gradient.
    at::Tensor label_count = (labels != model::kIgnoreIndex).sum().to(at::kFloat);
    if (group_)
        group_->all_reduce_sum(label_count);  // over the whole global batch

    for (auto& p : parameters_)
        p.mutable_grad() = at::Tensor();
    at::Tensor ce_sum = at::zeros({}, tokens.options().dtype(at::kFloat));
    at::Tensor z_sum = at::zeros_like(ce_sum);
    const int64_t micro = plan_.batch.rank_microbatch_instances();
    for (int64_t start = 0; start < instances; start += micro) {
        const int64_t n = std::min(micro, instances - start);
        if (reducer_ && start + micro >= instances)
            reducer_->arm();  // the last micro-batch: reduce while backward runs
        at::Tensor logits;
        {
            const model::CudaBf16Autocast autocast(device_.is_cuda());
            logits = model_->forward(tokens.narrow(0, start, n));
        }
        // The loss upcasts the logits itself, outside autocast.
        const model::LossSums sums = model::loss_sums(logits, labels.narrow(0, start, n));
        ((sums.ce + settings_.z_loss_multiplier * sums.z) / label_count).backward();
        ce_sum += sums.ce.detach();
        z_sum += sums.z.detach();
    }
    if (reducer_)
        reducer_->finish();

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
    metrics->grad_norm = clip_gradients(parameters_, settings_.max_grad_norm);
    metrics->skipped = 1 - optimizer_->step(metrics->lr, metrics->ce_loss, metrics->grad_norm);
    return metrics;
}

void TransformerTrainModule::eval_batch(const std::vector<int32_t>& tokens_host,
                                        int64_t instances) {
    torch::NoGradGuard no_grad;
    model_->eval();
    start_eval_sums();
    const at::Tensor tokens = tokens_on_device(tokens_host, instances);
    const at::Tensor labels = model::next_token_labels(tokens, settings_.pad_token_id);
    at::Tensor logits;
    {
        const model::CudaBf16Autocast autocast(device_.is_cuda());
        logits = model_->forward(tokens);
    }
    eval_ce_sum_ += model::loss_sums(logits, labels).ce;
    eval_labels_ += (labels != model::kIgnoreIndex).sum();
}

void TransformerTrainModule::start_eval_sums() {
    if (!eval_ce_sum_.defined()) {
        eval_ce_sum_ = at::zeros({}, at::TensorOptions().device(device_).dtype(at::kFloat));
        eval_labels_ = at::zeros_like(eval_ce_sum_);
    }
}

EvalTotals TransformerTrainModule::eval_totals() {
    start_eval_sums();  // a rank without a batch of this set still takes part in the sum
    at::Tensor sums = at::stack({eval_ce_sum_, eval_labels_});
    if (group_)
        group_->all_reduce_sum(sums);
    const at::Tensor host = sums.cpu();
    eval_ce_sum_ = at::Tensor();
    eval_labels_ = at::Tensor();
    model_->train();
    return {host[0].item<double>(), host[1].item<double>()};
}

TrainerState TransformerTrainModule::load_checkpoint(const std::string& dir) {
    return train::load_checkpoint(dir, model_, *optimizer_);
}

void TransformerTrainModule::sync_ranks() {
    // Every rank starts from rank 0's weights (and, on a resume, its optimizer state, which
    // all ranks loaded from the same files anyway).
    if (group_)
        group_->broadcast_from_rank0(parameters_);
}

void TransformerTrainModule::wait_for_ranks() {
    if (!group_)
        return;
    at::Tensor token = at::zeros({1}, at::TensorOptions().device(device_));
    group_->all_reduce_sum(token);
    token.item<float>();  // the host waits for the collective, not just its launch
}

std::shared_ptr<CheckpointContents> TransformerTrainModule::checkpoint(
    const TrainerState& state, const std::string& config_json, bool ephemeral, bool copy) {
    return take_checkpoint(model_, *optimizer_, state, config_json, ephemeral, copy);
}

}  // namespace ladder::train
