// OLMo-core's DownstreamEvaluatorCallback (olmo_core/train/callbacks/evaluator_callback.py,
// DownstreamEvaluator) on the tasks of data.downstream, prepared by `ladder prepare-tasks`:
// at the plan's checkpoint steps and every eval_interval steps, never at steps 0 and 1,
// every task scored as olmo_eval's ICLMetric scores it (eval/icl_metric.hpp) and recorded as
// `eval/downstream/<task> (<metric>)`. Requests go in batches sorted by length; batch i of
// a task goes to rank i mod world_size and the scores are summed over the ranks, so every
// rank gets the same metrics, and the same as one rank.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"
#include "dist/launch_env.hpp"
#include "eval/prepared_task.hpp"
#include "eval/task_batches.hpp"
#include "ladder/run_plan.hpp"
#include "train/callback.hpp"
#include "train/train_module.hpp"

namespace ladder::train {

struct DownstreamEvaluatorSettings {
    int64_t sequence_length = 0;
    int64_t batch_tokens = 0;  // per rank and forward pass
    int64_t rank = 0;
    int64_t world_size = 1;
    std::set<int64_t> eval_steps;  // the plan's checkpoint steps
    std::optional<int64_t> interval;
};

class DownstreamEvaluator : public Callback {
  public:
    // Builds every task's rows and batches before training starts. `module` must outlive
    // the callback.
    DownstreamEvaluator(std::vector<eval::PreparedTask> tasks, DownstreamEvaluatorSettings settings,
                        TrainModule& module);

    void post_train_batch(const TrainProgress& p, Metrics& metrics) override;

    // Every task's metrics now (also for `ladder eval`).
    Metrics evaluate();

  private:
    struct Task {
        eval::PreparedTask prepared;
        // Row i scores request i; with pmi_dc row n + i scores it after the domain context.
        std::vector<eval::ScoringRow> rows;
        std::vector<eval::RowBatch> batches;
    };

    Metrics evaluate(const Task& task);

    DownstreamEvaluatorSettings settings_;
    TrainModule& module_;
    std::vector<Task> tasks_;
};

// The evaluator of `config`'s data.downstream (the tasks named in `only`, or all when it is
// empty) for one rank of a run of `plan`: the tasks read from where `ladder prepare-tasks`
// wrote them (a UsageError when one is missing or stale).
std::unique_ptr<DownstreamEvaluator> make_downstream_evaluator(
    const config::LadderConfig& config, const RunPlan& plan, const dist::LaunchEnv& launch,
    TrainModule& module, std::set<int64_t> eval_steps, const std::vector<std::string>& only);

}  // namespace ladder::train
