#include "cli/local_launcher.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include <cstring>

#include "util/error.hpp"
#include "util/stop_request.hpp"

namespace ladder::cli {

namespace {

constexpr int kMaxWorkers = 256;
volatile sig_atomic_t g_workers = 0;
pid_t g_pids[kMaxWorkers];

void forward_signal(int signal) {
    for (int i = 0; i < g_workers; ++i) {
        if (g_pids[i] > 0)
            kill(g_pids[i], signal);
    }
}

// A port the kernel just found free on this host (torchrun picks its default the same way).
int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error("cannot find a free local port for the workers' rendezvous");
    }
    close(fd);
    return ntohs(address.sin_port);
}

int exit_code_of(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int run_local_workers(int nproc, const std::vector<std::string>& args) {
    if (nproc < 1 || nproc > kMaxWorkers) {
        throw UsageError("--nproc-per-node: expected 1 to " + std::to_string(kMaxWorkers) +
                         ", got " + std::to_string(nproc));
    }
    const std::string port = std::to_string(free_port());
    std::vector<char*> argv;
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    struct sigaction action {};
    action.sa_handler = forward_signal;
    sigemptyset(&action.sa_mask);
    for (const int signal : {SIGTERM, SIGINT, SIGUSR1})
        sigaction(signal, &action, nullptr);

    std::fflush(stdout);
    std::fflush(stderr);
    for (int rank = 0; rank < nproc; ++rank) {
        const pid_t pid = fork();
        if (pid < 0)
            throw std::runtime_error("cannot start worker " + std::to_string(rank));
        if (pid == 0) {
            for (const int signal : {SIGTERM, SIGINT, SIGUSR1})
                ::signal(signal, SIG_DFL);
            // Signals reach workers only through the launcher (a Ctrl-C to the terminal's
            // process group would otherwise arrive twice, which means "stop at once"), and
            // a launcher that dies takes its workers with it.
            setpgid(0, 0);
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            const std::string r = std::to_string(rank), n = std::to_string(nproc);
            setenv("RANK", r.c_str(), 1);
            setenv("LOCAL_RANK", r.c_str(), 1);
            setenv("WORLD_SIZE", n.c_str(), 1);
            setenv("LOCAL_WORLD_SIZE", n.c_str(), 1);
            setenv("MASTER_ADDR", "127.0.0.1", 1);
            setenv("MASTER_PORT", port.c_str(), 1);
            // Rank 0 hosts this launch's store: a flag inherited from an outer torchrun
            // would make every worker wait for an agent's store that is not there.
            unsetenv("TORCHELASTIC_USE_AGENT_STORE");
            unsetenv("TORCHELASTIC_RESTART_COUNT");
            execv("/proc/self/exe", argv.data());
            spdlog::critical("cannot start a worker: {}", std::strerror(errno));
            _exit(kExitRuntimeFailure);
        }
        g_pids[rank] = pid;
        g_workers = rank + 1;
    }

    int result = 0;
    int running = nproc;
    bool ending = false;
    auto deadline = std::chrono::steady_clock::time_point::max();
    while (running > 0) {
        int status = 0;
        const pid_t pid = waitpid(-1, &status, ending ? WNOHANG : 0);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            break;
        if (pid == 0) {  // ending: the others get a grace period, then SIGKILL
            if (std::chrono::steady_clock::now() > deadline)
                forward_signal(SIGKILL);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        int rank = 0;
        for (int i = 0; i < nproc; ++i) {
            if (g_pids[i] == pid) {
                g_pids[i] = -1;
                rank = i;
            }
        }
        --running;
        const int code = exit_code_of(status);
        if (code != 0 && (result == 0 || result == kExitRequeue) && !ending) {
            result = code;
            if (code != kExitRequeue) {
                spdlog::error("rank {} exited with code {}; stopping the other {}", rank, code,
                              running);
                ending = true;
                deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                forward_signal(SIGTERM);
            }
        }
    }
    return result;
}

}  // namespace ladder::cli
