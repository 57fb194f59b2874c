#include "train/trainer.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "config/load.hpp"
#include "data/token_file.hpp"
#include "dist/gradient_reducer.hpp"
#include "dist/rank_group.hpp"
#include "io/checkpoint_dir.hpp"
#include "model/loss.hpp"
#include "model/torch_compat.hpp"
#include "train/checkpoint.hpp"
#include "train/console_logger.hpp"
#include "train/runtime.hpp"
#include "util/format.hpp"
#include "util/stop_request.hpp"
#include "util/terminal.hpp"

namespace ladder::train {

// What one step leaves for the metrics flush: device scalars read only at the collect
// interval (no host sync inside the step), plus host-side metrics.
struct Trainer::StepRecord {
    TrainProgress progress;
    at::Tensor ce_loss, z_loss, grad_norm, skipped;  // 0-dim
    double lr = 0;
    Metrics host;
};

namespace {

std::vector<std::string> expand_all(const std::vector<std::string>& patterns) {
    if (patterns.empty()) {
        throw UsageError(
            "data.paths: no training files configured (set data.paths to token "
            "files or globs)");
    }
    return data::expand_paths(patterns);
}

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

}  // namespace

Trainer::Trainer(const config::LadderConfig& config, const RunPlan& plan, bool benchmark,
                 const dist::LaunchEnv& launch)
    : config_(config),
      plan_(plan),
      launch_(launch),
      main_rank_(launch.rank == 0),
      device_(choose_device(config.trainer.device, launch.local_rank)) {
    // Settings first: a contradiction should fail before any file is read.
    checkpoints_ = !config.trainer.no_checkpoints;
    config_json_ = config::to_json_text(config);
    for (const auto& checkpoint : plan.checkpoints)
        save_steps_.insert(checkpoint.step);
    if (checkpoints_) {
        policy_ =
            std::make_unique<CheckpointPolicy>(config.trainer.callbacks.checkpointer, save_steps_);
        writer_ = std::make_unique<CheckpointWriter>(plan.save_folder, policy_->save_async());
    }
    keep_freed_memory();
    const int threads = configure_threads(config.trainer.threads, launch.local_world_size);

    // Data first: a bad file should fail before any model is built.
    const int64_t seq = config.sequence_length;
    source_ = data::InstanceSource(
        expand_all(config.data.paths), seq,
        data::token_dtype_rule(config.data.dtype, *config.tokenizer.vocab_size));
    source_.validate(*config.tokenizer.vocab_size);
    loader_ =
        std::make_unique<data::DataLoader>(source_, plan.batch.instances(), launch.rank,
                                           launch.world_size, static_cast<uint64_t>(config.seed));
    if (launch.distributed()) {
        group_ = std::make_unique<dist::RankGroup>(
            launch, device_, config.backend,
            std::chrono::seconds(config.trainer.dist_timeout_seconds));
    }

    max_steps_ = plan.stop_step.value_or(plan.duration_steps);
    if (benchmark && !plan.hard_stop)
        max_steps_ = std::min<int64_t>(max_steps_, 100);
    for (const auto* duration : {&plan.hard_stop, &plan.max_duration}) {
        if (*duration && (*duration)->unit == "epochs") {
            stop_after_epoch_ =
                std::min(stop_after_epoch_.value_or((*duration)->value), (*duration)->value);
        }
    }

    model_ = model::Transformer(plan.model);
    model_->initialize(static_cast<uint64_t>(config.seed));
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

    const DeviceKind kind = classify_device(config.device_type);
    peak_flops_ = device_.is_cpu() ? measure_cpu_matmul_flops() : kind.peak_flops;
    const std::string blas = blas_library();
    std::printf("ladder: training %s (%s non-embedding params) on %s with %d thread%s\n",
                plan.run_name.c_str(),
                format_count(static_cast<double>(plan.num_non_embedding_params)).c_str(),
                device_.str().c_str(), threads, threads == 1 ? "" : "s");
    std::printf("ladder: BLAS %s; matmul ceiling %s FLOP/s\n", blas.c_str(),
                format_metric(peak_flops_).c_str());
    if (device_.is_cpu() && is_reference_blas(blas) && main_rank_) {
        std::fprintf(stderr,
                     "ladder: WARNING: LibTorch is calling the reference BLAS (%s), which runs "
                     "matmuls ~60x slower than OpenBLAS. Install libopenblas0-openmp "
                     "(scripts/setup.sh does) so it becomes the selected BLAS.\n",
                     blas.c_str());
    }
    if (group_) {
        std::printf(
            "ladder: rank 0 of %s data-parallel rank%s (%s, %s); each reads %s of the %s "
            "instances of a step\n",
            with_commas(launch.world_size).c_str(), launch.world_size == 1 ? "" : "s",
            launch.source.c_str(), group_->backend().c_str(),
            with_commas(loader_->rank_batch_instances()).c_str(),
            with_commas(plan.batch.instances()).c_str());
    }
    std::printf(
        "ladder: data %s instances of %s tokens; %s instances per step in %s "
        "micro-batch(es); %s steps\n",
        with_commas(source_.num_instances()).c_str(), with_commas(seq).c_str(),
        with_commas(plan.batch.instances()).c_str(),
        with_commas(plan.batch.grad_accum_steps).c_str(), with_commas(max_steps_).c_str());
    std::fflush(stdout);

    ConsoleLoggerSettings console;
    console.log_interval = config.trainer.callbacks.console_logger.log_interval;
    console.live_progress =
        config.trainer.callbacks.console_logger.progress && stdout_is_terminal();
    console.hard_stop = max_steps_ < plan.duration_steps;
    callbacks_.add(std::make_unique<ConsoleLogger>(console));
    SpeedMonitorSettings speed;
    speed.tokens_per_step = plan.batch.global_batch_size / launch.world_size;  // per device
    speed.flops_per_token = plan.model.flops_per_token(seq);
    speed.peak_flops = peak_flops_;
    speed.chinchilla_tokens = config.run.wsds_chinchilla.tokens_per_param *
                              static_cast<double>(plan.num_non_embedding_params);
    // A benchmark is its speed monitor, whatever the config says.
    if (config.trainer.callbacks.speed_monitor.enabled || benchmark) {
        auto monitor = std::make_unique<SpeedMonitor>(speed);
        speed_ = monitor.get();
        callbacks_.add(std::move(monitor));
    }
    progress_.max_steps = max_steps_;
    if (checkpoints_ && main_rank_) {
        auto saver = std::make_unique<MetricSaver>(
            plan.save_folder, config.trainer.callbacks.metric_saver.metrics_to_capture,
            config.trainer.callbacks.metric_saver.save_interval);
        metric_saver_ = saver.get();
        callbacks_.add(std::move(saver));
    }
    if (!config.trainer.no_evals && !config.data.validation.empty()) {
        evaluator_ = std::make_unique<LMEvaluator>(
            config.data.validation, seq,
            data::token_dtype_rule(config.data.dtype, *config.tokenizer.vocab_size),
            *config.tokenizer.vocab_size, *config.tokenizer.pad_token_id,
            plan.batch.rank_microbatch_instances(), device_);
        if (group_) {
            evaluator_->distribute(launch.rank, launch.world_size,
                                   [this](at::Tensor& t) { group_->all_reduce_sum(t); });
        }
    }
    resume_if_possible();
    if (group_) {
        // Every rank starts from rank 0's weights (and, on a resume, its optimizer state,
        // which all ranks loaded from the same files anyway).
        group_->broadcast_from_rank0(parameters_);
    }
}

// Continues from the latest complete checkpoint in the run's folder, as OLMo-core does.
void Trainer::resume_if_possible() {
    if (!checkpoints_)
        return;
    if (const int removed = main_rank_ ? io::remove_temporaries(plan_.save_folder) : 0;
        removed > 0) {
        std::printf("ladder: removed %d unfinished checkpoint(s) in %s\n", removed,
                    plan_.save_folder.c_str());
    }
    // Newest first: the run's own checkpoints, else trainer.load_path (a checkpoint or a
    // folder of them) to continue another run.
    const auto newest_first = [](const std::string& folder) {
        std::vector<std::string> dirs;
        const std::vector<int64_t> steps = io::find_checkpoints(folder);
        for (auto it = steps.rbegin(); it != steps.rend(); ++it)
            dirs.push_back(io::checkpoint_dir(folder, *it));
        return dirs;
    };
    std::vector<std::string> candidates = newest_first(plan_.save_folder);
    if (candidates.empty() && config_.trainer.load_path) {
        const std::string& path = *config_.trainer.load_path;
        candidates =
            io::is_complete_checkpoint(path) ? std::vector<std::string>{path} : newest_first(path);
        if (candidates.empty()) {
            throw UsageError("trainer.load_path: no complete checkpoint in '" + path + "'");
        }
    }
    std::optional<UsageError> newest_error;
    for (size_t i = 0; i < candidates.size(); ++i) {
        TrainerState state;
        try {
            state = load_checkpoint(candidates[i], model_, *optimizer_);
        } catch (const UsageError& e) {
            if (!newest_error)
                newest_error = e;
            if (!config_.trainer.fallback_to_previous || i + 1 == candidates.size())
                throw *newest_error;
            std::fprintf(stderr, "ladder: warning: %s; falling back to %s\n", e.what(),
                         candidates[i + 1].c_str());
            continue;
        }
        loader_->restore(state.loader);
        progress_.step = state.step;
        progress_.tokens_seen = state.tokens_seen;
        progress_.epoch = loader_->epoch();
        last_saved_step_ = state.step;
        resumed_ = true;
        policy_->loaded(state.step);
        std::printf("ladder: resuming from %s (step %s)\n", candidates[i].c_str(),
                    with_commas(state.step).c_str());
        std::fflush(stdout);
        break;
    }
    std::vector<CheckpointOnDisk> found;
    for (const int64_t step : io::find_checkpoints(plan_.save_folder)) {
        found.push_back(
            {step, io::is_ephemeral_checkpoint(io::checkpoint_dir(plan_.save_folder, step))});
    }
    policy_->adopt_existing(found, progress_.step);
}

// In-loop evaluation (never at step 0, as OLMo-core), then at a planned checkpoint step the
// metrics file with the latest training and eval metrics.
void Trainer::evaluate(bool write_metrics_file) {
    if (progress_.step == 0)
        return;
    if (evaluator_) {
        const Metrics metrics = evaluator_->evaluate(model_);
        std::string line = "ladder: eval at step " + std::to_string(progress_.step) + ":";
        for (const auto& [name, value] : metrics) {
            if (name.rfind("eval/", 0) == 0)
                line += " " + name + "=" + format_metric(value);
        }
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
        if (metric_saver_)
            metric_saver_->merge(metrics);
    }
    if (write_metrics_file && metric_saver_)
        metric_saver_->write_step(progress_.step);
}

void Trainer::save(SaveKind kind) {
    flush_metrics();  // metrics reach the host (and the logs) before a checkpoint
    TrainerState state;
    state.step = progress_.step;
    state.tokens_seen = progress_.tokens_seen;
    state.loader = loader_->state();
    state.world_size = launch_.world_size;
    if (main_rank_) {
        writer_->save(take_checkpoint(model_, *optimizer_, state, config_json_,
                                      kind == SaveKind::ephemeral, writer_->async()));
    }
    last_saved_step_ = progress_.step;
    for (const int64_t step : policy_->saved(progress_.step, kind))
        to_remove_.push_back(step);
}

// Deletes the checkpoints the policy gave up, but only once every write has finished: until
// then the one being written is not yet a checkpoint and the old ones are still needed.
void Trainer::remove_old_checkpoints(bool wait_for_writes) {
    if (to_remove_.empty() || !main_rank_)
        return;
    if (wait_for_writes)
        writer_->wait();
    else if (writer_->busy())
        return;
    for (const int64_t step : to_remove_) {
        const std::string dir = io::checkpoint_dir(plan_.save_folder, step);
        io::remove_checkpoint(dir);
        std::printf("ladder: removed old checkpoint %s\n", dir.c_str());
    }
    std::fflush(stdout);
    to_remove_.clear();
}

Trainer::~Trainer() = default;

double Trainer::flops_per_token() const {
    return static_cast<double>(plan_.model.flops_per_token(config_.sequence_length));
}

bool Trainer::finished() const {
    if (progress_.step >= max_steps_)
        return true;
    return stop_after_epoch_ && loader_->epochs_completed() >= *stop_after_epoch_;
}

Trainer::StepRecord Trainer::train_step(int64_t step) {
    const int64_t seq = config_.sequence_length;
    const int64_t instances = static_cast<int64_t>(batch_.size()) / seq;
    const at::Tensor host = at::from_blob(batch_.data(), {instances, seq}, at::kInt);
    // To a GPU from pinned memory without waiting: a copy from pageable memory would make
    // the host wait for the previous step's kernels (LibTorch's caching host allocator keeps
    // each pinned block until its copy is done).
    const at::Tensor tokens = device_.is_cuda()
                                  ? host.pin_memory().to(device_, at::kLong, /*non_blocking=*/true)
                                  : host.to(at::kLong);
    const at::Tensor labels = model::next_token_labels(tokens, *config_.tokenizer.pad_token_id);
    // The loss of the whole rank batch is normalised by its label count, so micro-batches
    // add up to exactly the full-batch gradient.
    at::Tensor label_count = (labels != model::kIgnoreIndex).sum().to(at::kFloat);
    if (group_)
        group_->all_reduce_sum(label_count);  // over the whole global batch
    const double z_multiplier = config_.trainer.z_loss_multiplier;

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
        ((sums.ce + z_multiplier * sums.z) / label_count).backward();
        ce_sum += sums.ce.detach();
        z_sum += sums.z.detach();
    }

    if (reducer_)
        reducer_->finish();
    StepRecord record;
    record.lr = plan_.lr_at_step(step);
    if (group_) {
        // The global losses, for the logs and the skip-step rule alike.
        at::Tensor sums = at::stack({ce_sum, z_sum});
        group_->all_reduce_sum(sums);
        ce_sum = sums[0];
        z_sum = sums[1];
    }
    record.ce_loss = ce_sum / label_count;
    record.z_loss = z_sum * z_multiplier / label_count;
    record.grad_norm = clip_gradients(parameters_, config_.trainer.max_grad_norm);
    record.skipped = 1 - optimizer_->step(record.lr, record.ce_loss, record.grad_norm);
    return record;
}

void Trainer::flush_metrics() {
    for (auto& record : pending_) {
        Metrics metrics = record.host;
        const double ce = record.ce_loss.item<double>();
        if (!std::isfinite(ce)) {
            throw std::runtime_error("train/CE loss is " + format_metric(ce) + " at step " +
                                     std::to_string(record.progress.step) +
                                     "; stopping (lower run.lr_multiplier or check the data)");
        }
        metrics["train/CE loss"] = ce;
        if (ce < 10)
            metrics["train/PPL"] = std::exp(ce);
        if (config_.trainer.z_loss_multiplier > 0) {
            const double z = record.z_loss.item<double>();
            metrics["train/Z loss"] = z;
            metrics["train/Z loss unscaled"] = z / config_.trainer.z_loss_multiplier;
        }
        metrics["optim/total grad norm"] = record.grad_norm.item<double>();
        metrics["optim/step skipped"] = record.skipped.item<double>();
        metrics["optim/LR (group 0)"] = record.lr;
        metrics["optim/LR (group 1)"] = record.lr;
        callbacks_.log_metrics(record.progress, metrics);
    }
    pending_.clear();
}

bool Trainer::fit() {
    install_stop_handlers();
    model_->train();
    callbacks_.pre_train(progress_);
    if (checkpoints_ && policy_->save_before_training(progress_.step, resumed_))
        save(SaveKind::permanent);  // step 0: "initialization"
    const int64_t collect = config_.trainer.metrics_collect_interval;
    const std::optional<int64_t> eval_interval =
        config_.trainer.callbacks.lm_evaluator.eval_interval;
    // Writes still running finish, and the checkpoints they replace go, before fit returns.
    const auto finish_checkpoints = [this] {
        if (checkpoints_)
            remove_old_checkpoints(/*wait_for_writes=*/true);
        if (writer_)
            writer_->wait();
    };
    while (!finished()) {
        callbacks_.pre_load_batch(progress_);
        loader_->next_batch(batch_);
        callbacks_.pre_step(progress_);
        StepRecord record = train_step(progress_.step + 1);
        progress_.step += 1;
        progress_.tokens_seen += plan_.batch.global_batch_size;
        progress_.epoch = loader_->epoch();
        // A stop in epochs is known only when it comes: from then on it is the last step.
        if (finished())
            progress_.max_steps = progress_.step;
        record.progress = progress_;
        callbacks_.post_step(progress_, record.host);
        pending_.push_back(std::move(record));
        if (progress_.step == 1 || progress_.step % collect == 0)
            flush_metrics();
        if (checkpoints_) {
            if (const SaveKind kind = policy_->at_step(progress_.step); kind != SaveKind::none)
                save(kind);
            remove_old_checkpoints(/*wait_for_writes=*/false);
        }
        const bool planned = save_steps_.count(progress_.step) > 0;
        if (planned || (eval_interval && progress_.step % *eval_interval == 0)) {
            flush_metrics();
            evaluate(/*write_metrics_file=*/planned);
        }
        int signal = stop_requested();
        if (group_ && group_->any_rank(signal != 0) && signal == 0)
            signal = -1;  // another rank was signalled: all ranks stop after this step
        if (signal != 0) {
            flush_metrics();
            const bool saving = checkpoints_ && policy_->enabled();
            if (saving && last_saved_step_ < progress_.step)
                save(SaveKind::ephemeral);
            finish_checkpoints();
            callbacks_.post_train(progress_);
            std::printf("ladder: stopped by %s after step %s%s\n",
                        signal > 0 ? signal_name(signal) : "a signal to another rank",
                        with_commas(progress_.step).c_str(),
                        saving ? "; the next run resumes from its checkpoint" : "");
            std::fflush(stdout);
            return false;
        }
    }
    flush_metrics();
    if (checkpoints_ && policy_->enabled() && last_saved_step_ < progress_.step)
        save(SaveKind::permanent);  // the final state
    finish_checkpoints();
    if (metric_saver_)
        metric_saver_->write_final();
    callbacks_.post_train(progress_);
    return true;
}

}  // namespace ladder::train
