// Graceful stops: SIGTERM, SIGINT and SIGUSR1 (what SLURM sends before preemption or the
// time limit) ask the trainer to finish its step, save a checkpoint and exit with
// kExitRequeue; a second signal ends the process at once.
#pragma once

namespace ladder {

// Exit code after a graceful stop with a checkpoint saved: job scripts requeue on it
// (EX_TEMPFAIL, "try again later").
constexpr int kExitRequeue = 75;

void install_stop_handlers();
// The signal that asked for a stop, or 0.
int stop_requested();
const char* signal_name(int signal);

}  // namespace ladder
