// The hf_exporter callback: when training ends, the run's last checkpoint (or every planned
// one) written as a Hugging Face folder, <run folder>/hf/step<N>, as `ladder export` writes
// it. At the end, so that the export's copy of the model never competes with training for
// memory; the main rank exports, after the checkpointer has finished writing.
#pragma once

#include <set>
#include <string>

#include "config/ladder_config.hpp"
#include "ladder/run_plan.hpp"
#include "train/callback.hpp"

namespace ladder::train {

class HfExporter : public Callback {
  public:
    HfExporter(const config::LadderConfig& config, const RunPlan& plan,
               std::set<int64_t> planned_steps);
    // After the checkpointer (priority 0), which waits for its writes in post_train.
    int priority() const override { return -10; }
    void post_train(const TrainProgress& progress) override;

  private:
    const config::LadderConfig& config_;
    const RunPlan& plan_;
    std::set<int64_t> planned_steps_;
    uint64_t max_shard_bytes_;
};

}  // namespace ladder::train
