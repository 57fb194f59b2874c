// OLMo-core's LMEvaluatorCallback (olmo_core/train/callbacks/evaluator_callback.py, with
// olmo_core/eval/lm_evaluator.py) on the validation token files (`data.validation`): at the
// plan's checkpoint steps and every eval_interval steps, never at steps 0 and 1 (as
// EvaluatorCallback.post_step), every validation set in a fixed order, recorded in the step's
// metrics as `eval/lm/<name>/CE loss` and `eval/lm/<name>/PPL`.
//
// Instances are OLMo-core's by default: one per document, truncated to the sequence length
// and right-padded (data/document_source.hpp); the loss is its MeanMetric's, the CE summed
// over every rank's labelled positions divided by the positions under the label masks (each
// document's last token counts in the denominator though it predicts nothing). `chunks`
// keeps ladder's earlier definition: consecutive sequence_length chunks across documents,
// divided by the labelled positions.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"
#include "data/document_source.hpp"
#include "data/instance_source.hpp"
#include "dist/launch_env.hpp"
#include "ladder/run_plan.hpp"
#include "train/callback.hpp"
#include "train/train_module.hpp"

namespace ladder::train {

struct LMEvaluatorSettings {
    int64_t sequence_length = 0;
    data::TokenDtypeRule dtype{data::TokenDtype::kUint16};
    int64_t vocab_size = 0;
    int64_t eos_token_id = 0;
    int64_t pad_token_id = 0;
    bool chunks = false;          // ladder's earlier chunked instances instead of documents
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

    // Every set's metrics now (also for `ladder eval`).
    Metrics evaluate();

  private:
    // One validation set: its documents, or its chunks.
    struct Set {
        std::string name;
        std::optional<data::DocumentSource> documents;
        std::optional<data::InstanceSource> chunks;

        int64_t size() const;
        // Writes instance i (sequence_length tokens) and returns how many are its own.
        int64_t read(int64_t i, int32_t* out) const;
    };

    LMEvaluatorSettings settings_;
    TrainModule& module_;
    std::vector<Set> sets_;
};

// The evaluator of `config`'s data.validation for one rank of a run of `plan`.
std::unique_ptr<LMEvaluator> make_lm_evaluator(const config::LadderConfig& config,
                                               const RunPlan& plan, const dist::LaunchEnv& launch,
                                               TrainModule& module, std::set<int64_t> eval_steps);

}  // namespace ladder::train
