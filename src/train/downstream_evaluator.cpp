#include "train/downstream_evaluator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "eval/icl_metric.hpp"
#include "util/error.hpp"

namespace ladder::train {

DownstreamEvaluator::DownstreamEvaluator(std::vector<eval::PreparedTask> tasks,
                                         DownstreamEvaluatorSettings settings, TrainModule& module)
    : settings_(std::move(settings)), module_(module) {
    for (eval::PreparedTask& prepared : tasks) {
        Task task;
        const bool pmi = prepared.type == eval::MetricType::kPmiDc;
        if (pmi && prepared.domain.empty()) {
            throw UsageError("task " + prepared.name +
                             ": pmi_dc scores continuations after the domain context \" \", "
                             "which this tokenizer encodes to no tokens");
        }
        for (const eval::PreparedRequest& r : prepared.requests) {
            task.rows.push_back(
                eval::scoring_row(r.context, r.continuation, settings_.sequence_length));
        }
        if (pmi) {
            for (const eval::PreparedRequest& r : prepared.requests) {
                task.rows.push_back(
                    eval::scoring_row(prepared.domain, r.continuation, settings_.sequence_length));
            }
        }
        task.batches = eval::length_sorted_batches(task.rows, settings_.batch_tokens);
        task.prepared = std::move(prepared);
        tasks_.push_back(std::move(task));
    }
}

void DownstreamEvaluator::post_train_batch(const TrainProgress& p, Metrics& metrics) {
    if (!evaluation_due(p.step, settings_.eval_steps, settings_.interval))
        return;
    const Metrics results = evaluate();
    spdlog::info("downstream eval at step {}:{}", p.step, eval_summary(results));
    metrics.insert(results.begin(), results.end());
}

Metrics DownstreamEvaluator::evaluate() {
    const auto start = std::chrono::steady_clock::now();
    Metrics metrics;
    for (const Task& task : tasks_) {
        const Metrics m = evaluate(task);
        metrics.insert(m.begin(), m.end());
    }
    metrics["throughput/downstream eval time (s)"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return metrics;
}

Metrics DownstreamEvaluator::evaluate(const Task& task) {
    std::vector<double> scores(task.rows.size(), 0.0);
    const int64_t n_batches = static_cast<int64_t>(task.batches.size());
    const int64_t rounds = (n_batches + settings_.world_size - 1) / settings_.world_size;
    std::vector<int32_t> inputs, targets;
    for (int64_t round = 0; round < rounds; ++round) {
        const int64_t b = round * settings_.world_size + settings_.rank;
        inputs.clear();
        targets.clear();
        if (b >= n_batches) {
            module_.score_batch(inputs, targets, 0);
            continue;
        }
        const eval::RowBatch& batch = task.batches[static_cast<size_t>(b)];
        for (const int64_t r : batch.rows) {
            const eval::ScoringRow& row = task.rows[static_cast<size_t>(r)];
            const size_t padding = static_cast<size_t>(batch.length) - row.inputs.size();
            inputs.insert(inputs.end(), row.inputs.begin(), row.inputs.end());
            inputs.insert(inputs.end(), padding, row.inputs.back());  // never attended to
            targets.insert(targets.end(), row.targets.begin(), row.targets.end());
            targets.insert(targets.end(), padding, -1);
        }
        const std::vector<float> sums =
            module_.score_batch(inputs, targets, static_cast<int64_t>(batch.rows.size()));
        for (size_t i = 0; i < batch.rows.size(); ++i)
            scores[static_cast<size_t>(batch.rows[i])] = sums[i];
    }
    module_.sum_over_ranks(scores);

    const auto& requests = task.prepared.requests;
    std::vector<eval::ScoredRequest> scored;
    scored.reserve(requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
        const eval::PreparedRequest& r = requests[i];
        eval::ScoredRequest s;
        s.doc_id = r.doc_id;
        s.cont_id = r.cont_id;
        s.label = r.label;
        s.log_likelihood = static_cast<float>(scores[i]);
        if (task.prepared.type == eval::MetricType::kPmiDc)
            s.dc_log_likelihood = static_cast<float>(scores[requests.size() + i]);
        s.chars = r.chars;
        s.bytes = r.bytes;
        s.chars_no_leading_space = r.chars_no_leading_space;
        s.bytes_no_leading_space = r.bytes_no_leading_space;
        scored.push_back(s);
    }
    Metrics metrics;
    for (const auto& [key, value] : eval::icl_metrics(task.prepared.type, scored))
        metrics["eval/downstream/" + task.prepared.name + " (" + eval::metric_label(key) + ")"] =
            value;
    return metrics;
}

std::unique_ptr<DownstreamEvaluator> make_downstream_evaluator(
    const config::LadderConfig& config, const RunPlan& plan, const dist::LaunchEnv& launch,
    TrainModule& module, std::set<int64_t> eval_steps, const std::vector<std::string>& only) {
    const config::DownstreamEvaluatorConfig& c = config.trainer.callbacks.downstream_evaluator;
    std::vector<eval::PreparedTask> tasks;
    for (const auto& [name, path] : config.data.downstream) {
        if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end())
            continue;
        tasks.push_back(eval::read_prepared_task(eval::prepared_task_path(config, name),
                                                 eval::task_fingerprint(config, name),
                                                 *config.tokenizer.vocab_size));
    }
    DownstreamEvaluatorSettings settings;
    settings.sequence_length = plan.batch.sequence_length;
    settings.batch_tokens = c.batch_tokens.value_or(plan.batch.rank_microbatch_size);
    settings.rank = launch.rank;
    settings.world_size = launch.world_size;
    settings.eval_steps = std::move(eval_steps);
    settings.interval = c.eval_interval;
    return std::make_unique<DownstreamEvaluator>(std::move(tasks), settings, module);
}

}  // namespace ladder::train
