// OLMo-core's LMEvaluator on the validation token files (`data.validation`): the
// token-weighted mean cross-entropy of every validation set, in a fixed order, recorded
// as `eval/lm/<name>/CE loss` and `eval/lm/<name>/PPL`.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "data/instance_source.hpp"
#include "model/transformer.hpp"
#include "train/callback.hpp"

namespace ladder::train {

class LMEvaluator {
  public:
    // Opens and validates every set before training starts.
    LMEvaluator(const std::map<std::string, std::vector<std::string>>& sets,
                int64_t sequence_length, const data::TokenDtypeRule& dtype, int64_t vocab_size,
                int64_t pad_token_id, int64_t batch_instances, c10::Device device);

    // Splits each set's batches over `world` ranks (batch i to rank i mod world); the
    // sums are combined with `all_reduce_sum`, so every rank gets the same metrics.
    void distribute(int64_t rank, int64_t world, std::function<void(at::Tensor&)> all_reduce_sum);

    Metrics evaluate(model::Transformer& model) const;

  private:
    int64_t rank_ = 0;
    int64_t world_ = 1;
    std::function<void(at::Tensor&)> all_reduce_sum_;
    std::vector<std::pair<std::string, data::InstanceSource>> sets_;
    int64_t pad_token_id_;
    int64_t batch_instances_;
    c10::Device device_;
};

}  // namespace ladder::train
