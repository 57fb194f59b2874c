// OLMo-core's LMEvaluatorCallback (olmo_core/train/callbacks/evaluator_callback.py) on the
// validation token files (`data.validation`): at the plan's checkpoint steps and every
// eval_interval steps (never at step 0), the token-weighted mean cross-entropy of every
// validation set, in a fixed order, recorded in the step's metrics as
// `eval/lm/<name>/CE loss` and `eval/lm/<name>/PPL`.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "data/instance_source.hpp"
#include "train/callback.hpp"
#include "train/train_module.hpp"

namespace ladder::train {

struct LMEvaluatorSettings {
    int64_t sequence_length = 0;
    data::TokenDtypeRule dtype{data::TokenDtype::kUint16};
    int64_t vocab_size = 0;
    int64_t batch_instances = 1;  // per rank
    int64_t rank = 0;             // batch i of a set goes to rank i mod world_size
    int64_t world_size = 1;
    std::set<int64_t> eval_steps;  // the plan's checkpoint steps
    std::optional<int64_t> interval;
};

class LMEvaluator : public Callback {
  public:
    // Opens and validates every set before training starts. Every rank of a run has one and
    // evaluates its share of each set; the module sums the shares, so every rank gets the
    // same metrics. `module` must outlive the callback.
    LMEvaluator(const std::map<std::string, std::vector<std::string>>& sets,
                LMEvaluatorSettings settings, TrainModule& module);

    void post_train_batch(const TrainProgress& p, Metrics& metrics) override;

  private:
    Metrics evaluate();

    LMEvaluatorSettings settings_;
    TrainModule& module_;
    std::vector<std::pair<std::string, data::InstanceSource>> sets_;
};

}  // namespace ladder::train
