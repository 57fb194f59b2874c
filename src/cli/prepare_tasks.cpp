// `ladder prepare-tasks`: encodes the text of every task of data.downstream once, into the
// ladder's folder (eval/prepared_task.hpp). The encoding lives in libladder_tokenize.so,
// whose SentencePiece must not share a process with LibTorch: `ladder train` runs it as a
// child process of its own before it loads LibTorch.
#include "cli/prepare_tasks.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "cli/modules.hpp"
#include "eval/prepared_task.hpp"
#include "util/error.hpp"

namespace ladder::cli {

namespace {

bool all_current(const config::LadderConfig& config) {
    for (const auto& [name, path] : config.data.downstream) {
        if (!eval::prepared_task_current(eval::prepared_task_path(config, name),
                                         eval::task_fingerprint(config, name)))
            return false;
    }
    return true;
}

void prepare_here(const config::LadderConfig& config) {
    using Entry = void (*)(const config::LadderConfig*);
    reinterpret_cast<Entry>(module_symbol("libladder_tokenize.so", "ladder_prepare_tasks"))(
        &config);
}

// `ladder prepare-tasks` with the same config and overrides, as a child process.
int prepare_in_child(const CommonOptions& common) {
    std::vector<std::string> args = {common.args.empty() ? "ladder" : common.args.front(),
                                     "prepare-tasks"};
    if (common.config_file) {
        args.push_back("--config");
        args.push_back(*common.config_file);
    }
    for (const config::Override& o : common.overrides)
        args.push_back("--" + o.key + "=" + o.value);
    std::vector<char*> argv;
    for (std::string& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0)
        throw std::runtime_error(std::string("cannot start prepare-tasks: ") +
                                 std::strerror(errno));
    if (pid == 0) {
        execv("/proc/self/exe", argv.data());
        std::fprintf(stderr, "ladder: error: cannot start prepare-tasks: %s\n",
                     std::strerror(errno));
        _exit(kExitRuntimeFailure);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : kExitRuntimeFailure;
}

}  // namespace

void prepare_tasks_first(const config::LadderConfig& config, const CommonOptions& common,
                         const dist::LaunchEnv& launch, bool evaluates) {
    if (!evaluates || config.data.downstream.empty() || all_current(config))
        return;
    if (launch.rank == 0) {
        if (const int code = prepare_in_child(common); code != 0)
            throw ExitCode{code};
        return;
    }
    // The other ranks of a launch wait for rank 0's.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::seconds(config.trainer.dist_timeout_seconds);
    while (!all_current(config)) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw UsageError(
                "data.downstream: the tasks were not prepared within "
                "trainer.dist_timeout_seconds; run `ladder prepare-tasks` first");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

void register_prepare_tasks(CLI::App& app, CommonOptions& common) {
    CLI::App* command = app.add_subcommand(
        "prepare-tasks",
        "Encode the downstream tasks of data.downstream with tokenizer.path for evaluation "
        "(train and eval do this first when needed)");
    add_config_option(command, common);
    command->callback([&common] { prepare_here(load_ladder(common)); });
}

}  // namespace ladder::cli
