// The hf_exporter callback: the run's last checkpoint, or with every_checkpoint each planned
// one as soon as it is complete on disk, written as a Hugging Face folder,
// <run folder>/hf/step<N>, as `ladder export` writes it (OLMo-core's HFConverterCallback
// converts after each save too). The main rank exports from the saved files, after the
// checkpointer; the other ranks wait for it at the next step.
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
    void post_step(const TrainProgress& progress) override;
    void post_train(const TrainProgress& progress) override;

  private:
    // Writes <run folder>/hf/step<step> unless an earlier run of the rung did.
    void export_step(int64_t step);

    const config::LadderConfig& config_;
    const RunPlan& plan_;
    std::set<int64_t> pending_;  // planned steps not exported yet (every_checkpoint)
    uint64_t max_shard_bytes_;
};

}  // namespace ladder::train
