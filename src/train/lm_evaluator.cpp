#include "train/lm_evaluator.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "util/format.hpp"

namespace ladder::train {

LMEvaluator::LMEvaluator(const std::map<std::string, std::vector<std::string>>& sets,
                         LMEvaluatorSettings settings, TrainModule& module)
    : settings_(std::move(settings)), module_(module) {
    for (const auto& [name, patterns] : sets) {
        data::InstanceSource source(data::expand_paths(patterns), settings_.sequence_length,
                                    settings_.dtype);
        source.validate(settings_.vocab_size);
        sets_.emplace_back(name, std::move(source));
    }
}

void LMEvaluator::post_train_batch(const TrainProgress& p, Metrics& metrics) {
    const bool due = settings_.eval_steps.count(p.step) > 0 ||
                     (settings_.interval && p.step % *settings_.interval == 0);
    if (p.step == 0 || !due)
        return;
    const Metrics results = evaluate();
    std::string line = "eval at step " + std::to_string(p.step) + ":";
    for (const auto& [name, value] : results) {
        if (name.rfind("eval/", 0) == 0)
            line += " " + name + "=" + format_metric(value);
    }
    spdlog::info(line);
    metrics.insert(results.begin(), results.end());
}

Metrics LMEvaluator::evaluate() {
    const auto start = std::chrono::steady_clock::now();
    const int64_t batch = settings_.batch_instances;
    const int64_t stride = batch * settings_.world_size;
    Metrics metrics;
    int64_t batches = 0;
    std::vector<int32_t> buffer;
    for (const auto& [name, source] : sets_) {
        const int64_t seq = source.sequence_length();
        // The same number of rounds on every rank: a rank past the end passes an empty
        // batch, so that a sharded model's gathers still meet.
        const int64_t rounds = (source.num_instances() + stride - 1) / stride;
        for (int64_t round = 0; round < rounds; ++round) {
            const int64_t first = round * stride + settings_.rank * batch;
            const int64_t n = std::clamp<int64_t>(source.num_instances() - first, 0, batch);
            if (n == 0) {
                module_.eval_batch({}, 0);
                continue;
            }
            buffer.resize(static_cast<size_t>(n * seq));
            for (int64_t i = 0; i < n; ++i) {
                if (source.checks_lazily())
                    source.check_instance(first + i);
                source.read_instance(first + i, buffer.data() + i * seq);
            }
            module_.eval_batch(buffer, n);
            ++batches;
        }
        const EvalTotals totals = module_.eval_totals();
        const double ce = totals.ce_sum / totals.labels;
        metrics["eval/lm/" + name + "/CE loss"] = ce;
        metrics["eval/lm/" + name + "/PPL"] = std::exp(ce);
    }
    metrics["throughput/in-loop eval time (s)"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics["throughput/in-loop eval batches"] = static_cast<double>(batches);
    return metrics;
}

}  // namespace ladder::train
