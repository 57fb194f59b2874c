// Ends a run gracefully on SIGTERM, SIGINT or SIGUSR1 (what SLURM sends before preemption
// or the time limit): the step in flight finishes, then the run stops on every rank at the
// same step, so the checkpointer saves one consistent checkpoint. A second signal ends the
// process at once (util/stop_request.hpp).
#pragma once

#include <functional>

#include "train/callback.hpp"

namespace ladder::train {

class StopSignalHandler : public Callback {
  public:
    // `any_rank` tells whether any rank of the run passes true (a collective every rank
    // calls once a step); empty for a single process.
    explicit StopSignalHandler(std::function<bool(bool)> any_rank)
        : any_rank_(std::move(any_rank)) {}

    void pre_train(const TrainProgress&) override;
    std::string stop_reason(const TrainProgress&) override;
    void post_train(const TrainProgress& p) override;

  private:
    std::function<bool(bool)> any_rank_;
};

}  // namespace ladder::train
