// `--nproc-per-node N`: torchrun for one node. Starts N copies of this command with
// torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT on a free local port), forwards SIGTERM/SIGINT/SIGUSR1 to them, and as soon
// as one fails ends the others (SIGTERM, then SIGKILL after a grace period).
#pragma once

#include <string>
#include <vector>

namespace ladder::cli {

// `args`: the full command line (argv[0] first) without the --nproc-per-node option.
// Returns the exit code for the launcher: 0 when every worker succeeded, the requeue
// code when all stopped for a signal, else the first failure's code (128 + signal for a
// worker killed by one).
int run_local_workers(int nproc, const std::vector<std::string>& args);

}  // namespace ladder::cli
