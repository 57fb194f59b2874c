#include "util/stop_request.hpp"

#include <csignal>
#include <cstring>
#include <initializer_list>

#include <unistd.h>

namespace ladder {

namespace {

volatile std::sig_atomic_t requested = 0;

void on_signal(int signal) {
    if (requested != 0) {
        // The second signal: stop now, the way the default action would.
        std::signal(signal, SIG_DFL);
        std::raise(signal);
        return;
    }
    requested = signal;
    // write(2), not the logger: a signal handler may call only async-signal-safe functions.
    static const char message[] = "\nladder: stop requested; finishing the step and saving\n";
    const ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
    (void)ignored;
}

}  // namespace

void install_stop_handlers() {
    for (int signal : {SIGTERM, SIGINT, SIGUSR1}) {
        struct sigaction action;
        std::memset(&action, 0, sizeof action);
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        sigaction(signal, &action, nullptr);
    }
}

int stop_requested() {
    return requested;
}

const char* signal_name(int signal) {
    switch (signal) {
        case SIGTERM:
            return "SIGTERM";
        case SIGINT:
            return "SIGINT";
        case SIGUSR1:
            return "SIGUSR1";
        default:
            return "a signal";
    }
}

}  // namespace ladder
