#include "train/lm_evaluator.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

namespace ladder::train {

LMEvaluator::LMEvaluator(const std::map<std::string, std::vector<std::string>>& sets,
                         LMEvaluatorSettings settings, TrainModule& module)
    : settings_(std::move(settings)), module_(module) {
    for (const auto& [name, patterns] : sets) {
        Set set{name, std::nullopt, std::nullopt};
        const std::vector<std::string> paths = data::expand_paths(patterns);
        if (settings_.chunks) {
            set.chunks.emplace(paths, settings_.sequence_length, settings_.dtype);
            set.chunks->validate(settings_.vocab_size);
        } else {
            set.documents.emplace(paths, settings_.sequence_length, settings_.dtype,
                                  settings_.eos_token_id, settings_.pad_token_id,
                                  settings_.vocab_size);
        }
        sets_.push_back(std::move(set));
    }
}

int64_t LMEvaluator::Set::size() const {
    return documents ? documents->num_documents() : chunks->num_instances();
}

int64_t LMEvaluator::Set::read(int64_t i, int32_t* out) const {
    if (documents)
        return documents->read_document(i, out);
    if (chunks->checks_lazily())
        chunks->check_instance(i);
    chunks->read_instance(i, out);
    return chunks->sequence_length();
}

void LMEvaluator::post_train_batch(const TrainProgress& p, Metrics& metrics) {
    if (!evaluation_due(p.step, settings_.eval_steps, settings_.interval))
        return;
    const Metrics results = evaluate();
    spdlog::info("eval at step {}:{}", p.step, eval_summary(results));
    metrics.insert(results.begin(), results.end());
}

Metrics LMEvaluator::evaluate() {
    const auto start = std::chrono::steady_clock::now();
    const int64_t batch = settings_.batch_instances;
    const int64_t stride = batch * settings_.world_size;
    const int64_t seq = settings_.sequence_length;
    Metrics metrics;
    int64_t batches = 0;
    std::vector<int32_t> tokens;
    std::vector<int64_t> lengths;
    for (const Set& set : sets_) {
        // The same number of rounds on every rank: a rank past the end passes an empty
        // batch, so that a sharded model's gathers still meet.
        const int64_t rounds = (set.size() + stride - 1) / stride;
        for (int64_t round = 0; round < rounds; ++round) {
            const int64_t first = round * stride + settings_.rank * batch;
            const int64_t n = std::clamp<int64_t>(set.size() - first, 0, batch);
            tokens.resize(static_cast<size_t>(n * seq));
            lengths.resize(static_cast<size_t>(n));
            for (int64_t i = 0; i < n; ++i)
                lengths[static_cast<size_t>(i)] = set.read(first + i, tokens.data() + i * seq);
            module_.eval_batch(tokens, lengths);
            batches += n > 0;
        }
        const EvalTotals totals = module_.eval_totals();
        const double ce = totals.ce_sum / (settings_.chunks ? totals.labels : totals.tokens);
        metrics["eval/lm/" + set.name + "/CE loss"] = ce;
        metrics["eval/lm/" + set.name + "/PPL"] = std::exp(ce);
    }
    metrics["throughput/in-loop eval time (s)"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics["throughput/in-loop eval batches"] = static_cast<double>(batches);
    return metrics;
}

std::unique_ptr<LMEvaluator> make_lm_evaluator(const config::LadderConfig& config,
                                               const RunPlan& plan, const dist::LaunchEnv& launch,
                                               TrainModule& module, std::set<int64_t> eval_steps) {
    const config::LMEvaluatorConfig& c = config.trainer.callbacks.lm_evaluator;
    LMEvaluatorSettings settings;
    settings.sequence_length = plan.batch.sequence_length;
    settings.dtype = data::token_dtype_rule(config.data.dtype, *config.tokenizer.vocab_size);
    settings.vocab_size = *config.tokenizer.vocab_size;
    settings.eos_token_id = *config.tokenizer.eos_token_id;
    settings.pad_token_id = *config.tokenizer.pad_token_id;
    settings.chunks = c.instances == "chunks";
    settings.batch_instances = plan.batch.rank_microbatch_instances();
    settings.rank = launch.rank;
    settings.world_size = launch.world_size;
    settings.eval_steps = std::move(eval_steps);
    settings.interval = c.eval_interval;
    return std::make_unique<LMEvaluator>(config.data.validation, settings, module);
}

}  // namespace ladder::train
