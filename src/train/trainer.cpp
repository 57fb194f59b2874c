#include "train/trainer.hpp"

#include <spdlog/spdlog.h>

#include "io/checkpoint_dir.hpp"
#include "util/error.hpp"
#include "util/format.hpp"

namespace ladder::train {

TrainerSettings trainer_settings(const RunPlan& plan, const config::TrainerConfig& trainer,
                                 bool main_rank) {
    TrainerSettings settings;
    settings.max_steps = plan.last_step();
    settings.stop_epoch = plan.stop_epoch;
    settings.global_batch_tokens = plan.batch.global_batch_size;
    settings.metrics_collect_interval = trainer.metrics_collect_interval;
    settings.resume = !trainer.no_checkpoints;
    settings.save_folder = plan.save_folder;
    settings.load_path = trainer.load_path;
    settings.fallback_to_previous = trainer.fallback_to_previous;
    settings.main_rank = main_rank;
    return settings;
}

Trainer::Trainer(TrainerSettings settings, data::DataLoader& loader, TrainModule& module,
                 CallbackList callbacks)
    : settings_(std::move(settings)),
      loader_(loader),
      module_(module),
      callbacks_(std::move(callbacks)) {
    progress_.max_steps = settings_.max_steps;
}

bool Trainer::fit() {
    resume();
    module_.sync_ranks();
    callbacks_.pre_train(progress_);
    while (!finished() && progress_.stop_reason.empty()) {
        callbacks_.pre_load_batch(progress_);
        loader_.next_batch(batch_);
        callbacks_.pre_step(progress_);
        std::unique_ptr<StepMetrics> device_metrics =
            module_.train_batch(batch_, progress_.step + 1);
        advance();
        PendingStep step{progress_, std::move(device_metrics), {}};
        callbacks_.post_train_batch(progress_, step.host);
        pending_.push_back(std::move(step));
        const int64_t collect = settings_.metrics_collect_interval;
        if (progress_.step == 1 || progress_.step % collect == 0 || finished() ||
            callbacks_.wants_metrics(progress_)) {
            collect_metrics();
        }
        callbacks_.post_step(progress_);
        progress_.stop_reason = callbacks_.stop_reason(progress_);
    }
    collect_metrics();
    callbacks_.post_train(progress_);
    return progress_.stop_reason.empty();
}

void Trainer::advance() {
    progress_.step += 1;
    progress_.tokens_seen += settings_.global_batch_tokens;
    progress_.epoch = loader_.epoch();
    // A stop in epochs is known only when it comes: from then on it is the last step.
    if (finished())
        progress_.max_steps = progress_.step;
}

bool Trainer::finished() const {
    if (progress_.step >= settings_.max_steps)
        return true;
    return settings_.stop_epoch && loader_.epochs_completed() >= *settings_.stop_epoch;
}

// The device's metrics reach the host here and nowhere else: a host sync per collection,
// none inside a step.
void Trainer::collect_metrics() {
    for (auto& step : pending_) {
        Metrics metrics = step.device->read();
        metrics.insert(step.host.begin(), step.host.end());
        callbacks_.log_metrics(step.progress, metrics);
    }
    pending_.clear();
}

namespace {

// A checkpoint's trainer state must agree with the folder it sits in and with this run's
// batch: a state that claimed another step would make the run save over good checkpoints.
void check_trainer_state(const std::string& dir, const TrainerState& state,
                         int64_t global_batch_tokens) {
    const std::string file = dir + "/train/rank0.json";
    const std::optional<int64_t> folder_step = io::checkpoint_step(dir);
    if (state.step < 0 || (folder_step && state.step != *folder_step)) {
        throw UsageError("checkpoint '" + file + "' is damaged: it says step " +
                         std::to_string(state.step) +
                         (folder_step ? " in the folder of step " + std::to_string(*folder_step)
                                      : std::string()));
    }
    if (state.tokens_seen != state.step * global_batch_tokens) {
        throw UsageError("checkpoint '" + file + "' says " + with_commas(state.tokens_seen) +
                         " tokens at step " + with_commas(state.step) + ", not " +
                         with_commas(state.step * global_batch_tokens) + " (" +
                         with_commas(global_batch_tokens) +
                         " a step): damaged, or from a run with another batch size");
    }
}

}  // namespace

// Continues from the newest complete checkpoint in the run's folder (else trainer.load_path),
// falling back to older ones that load when trainer.fallback_to_previous allows.
void Trainer::resume() {
    if (!settings_.resume)
        return;
    const std::string& folder = settings_.save_folder;
    if (const int removed = settings_.main_rank ? io::remove_temporaries(folder) : 0; removed > 0)
        spdlog::info("removed {} unfinished checkpoint(s) in {}", removed, folder);
    const auto newest_first = [this](const std::string& dir) {
        std::vector<std::string> found;
        std::vector<std::string> incomplete;
        const std::vector<int64_t> steps = io::find_checkpoints(dir, &incomplete);
        for (const std::string& skipped : incomplete) {
            if (settings_.main_rank)
                spdlog::warn("skipping {}", skipped);
        }
        for (auto it = steps.rbegin(); it != steps.rend(); ++it)
            found.push_back(io::checkpoint_dir(dir, *it));
        return found;
    };
    std::vector<std::string> candidates = newest_first(folder);
    if (candidates.empty() && settings_.load_path) {
        const std::string& path = *settings_.load_path;
        candidates =
            io::is_complete_checkpoint(path) ? std::vector<std::string>{path} : newest_first(path);
        if (candidates.empty())
            throw UsageError("trainer.load_path: no complete checkpoint in '" + path + "'");
    }
    std::optional<UsageError> newest_error;
    for (size_t i = 0; i < candidates.size(); ++i) {
        TrainerState state;
        try {
            state = module_.load_checkpoint(candidates[i]);
            check_trainer_state(candidates[i], state, settings_.global_batch_tokens);
            try {
                loader_.restore(state.loader);
            } catch (const UsageError& e) {
                throw UsageError("checkpoint '" + candidates[i] +
                                 "/train/rank0.json' is damaged: " + e.what());
            }
        } catch (const UsageError& e) {
            if (!newest_error)
                newest_error = e;
            if (!settings_.fallback_to_previous || i + 1 == candidates.size())
                throw *newest_error;
            spdlog::warn("{}; falling back to {}", e.what(), candidates[i + 1]);
            continue;
        }
        progress_.step = state.step;
        progress_.tokens_seen = state.tokens_seen;
        progress_.epoch = loader_.epoch();
        progress_.resumed = true;
        spdlog::info("resuming from {} (step {})", candidates[i], with_commas(state.step));
        return;
    }
}

}  // namespace ladder::train
