#include "train/lm_evaluator.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>

#include "model/loss.hpp"
#include "model/torch_compat.hpp"

namespace ladder::train {

LMEvaluator::LMEvaluator(const std::map<std::string, std::vector<std::string>>& sets,
                         int64_t sequence_length, const data::TokenDtypeRule& dtype,
                         int64_t vocab_size, int64_t pad_token_id, int64_t batch_instances,
                         c10::Device device)
    : pad_token_id_(pad_token_id), batch_instances_(batch_instances), device_(device) {
    for (const auto& [name, patterns] : sets) {
        data::InstanceSource source(data::expand_paths(patterns), sequence_length, dtype);
        source.validate(vocab_size);
        sets_.emplace_back(name, std::move(source));
    }
}

void LMEvaluator::distribute(int64_t rank, int64_t world,
                             std::function<void(at::Tensor&)> all_reduce_sum) {
    rank_ = rank;
    world_ = world;
    all_reduce_sum_ = std::move(all_reduce_sum);
}

Metrics LMEvaluator::evaluate(model::Transformer& model) const {
    const auto start = std::chrono::steady_clock::now();
    torch::NoGradGuard no_grad;
    model->eval();
    Metrics metrics;
    int64_t batches = 0;
    for (const auto& [name, source] : sets_) {
        const int64_t seq = source.sequence_length();
        std::vector<int32_t> buffer;
        at::Tensor ce_sum = at::zeros({}, at::TensorOptions().device(device_));
        at::Tensor count = at::zeros_like(ce_sum);
        const int64_t stride = batch_instances_ * world_;
        for (int64_t first = rank_ * batch_instances_; first < source.num_instances();
             first += stride) {
            const int64_t n = std::min(batch_instances_, source.num_instances() - first);
            buffer.resize(static_cast<size_t>(n * seq));
            for (int64_t i = 0; i < n; ++i) {
                if (source.checks_lazily())
                    source.check_instance(first + i);
                source.read_instance(first + i, buffer.data() + i * seq);
            }
            const at::Tensor tokens =
                at::from_blob(buffer.data(), {n, seq}, at::kInt).to(device_, at::kLong);
            const at::Tensor labels = model::next_token_labels(tokens, pad_token_id_);
            at::Tensor logits;
            {
                const model::CudaBf16Autocast autocast(device_.is_cuda());
                logits = model->forward(tokens);
            }
            ce_sum += model::loss_sums(logits, labels).ce;
            count += (labels != model::kIgnoreIndex).sum();
            ++batches;
        }
        if (all_reduce_sum_) {
            at::Tensor sums = at::stack({ce_sum, count.to(ce_sum.scalar_type())});
            all_reduce_sum_(sums);
            ce_sum = sums[0];
            count = sums[1];
        }
        const double ce = (ce_sum / count).item<double>();
        metrics["eval/lm/" + name + "/CE loss"] = ce;
        metrics["eval/lm/" + name + "/PPL"] = std::exp(ce);
    }
    model->train();
    metrics["throughput/in-loop eval time (s)"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics["throughput/in-loop eval batches"] = static_cast<double>(batches);
    return metrics;
}

}  // namespace ladder::train
