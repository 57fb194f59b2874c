// Data-parallel training on the CPU with Gloo: real worker processes on this machine,
// started by `--nproc-per-node`, by hand with torchrun's variables, or by torchrun itself
// (Debian's python3-torch).
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/run_ladder.hpp"
#include "e2e/tiny_ladder.hpp"
#include "io/checkpoint_dir.hpp"

using ladder::test::count_of;
using ladder::test::read_file;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_documents;
using ladder::test::write_file;
using ladder::test::write_tiny_run;

namespace {

// One thread per worker, so two workers share the two cores of a small machine.
const std::string kTrain =
    "train tiny --config tiny.yaml --trainer.threads=1 "
    "--trainer.metrics_collect_interval=1 --trainer.callbacks.metric_saver.save_interval=1 ";

std::string until(int64_t step) {
    return "--trainer.hard_stop='{value: " + std::to_string(step) + ", unit: steps}' ";
}

double metric(const std::string& run_dir, int64_t step, const std::string& name) {
    const auto json = nlohmann::json::parse(
        read_file(run_dir + "/tiny/metrics_step" + std::to_string(step) + ".json"));
    return json.at(name).get<double>();
}

// Starts a long 2-worker run in `dir` in the background (the launcher's pid in $pid, its
// output in out.txt and err.txt), waits until it has trained a step, then runs `then`.
int launch_two_then(const std::string& dir, const std::string& then) {
    const std::string script =
        "cd '" + dir + "' && ('" + LADDER_BINARY + "' " + kTrain +
        "--run.num_train_steps=100000 --nproc-per-node 2 >out.txt 2>err.txt & pid=$!; "
        "for i in $(seq 600); do grep -q 'step=1/' out.txt 2>/dev/null && break; sleep 0.1; "
        "done; " +
        then + ")";
    return std::system(script.c_str());
}

// torchrun, from Debian's python3-torch: a module of /usr/bin/python3 (the python3 first
// on PATH may be another, without torch). Empty, with a warning, where it is missing: the
// test that needs it then says so and stops, rather than passing as if it had run.
std::string torchrun_or_warn() {
    static const bool available =
        std::system("/usr/bin/python3 -c 'import torch.distributed.run' >/dev/null 2>&1") == 0;
    if (!available) {
        WARN(
            "skipped: no torchrun (/usr/bin/python3 -m torch.distributed.run); "
            "scripts/setup.sh installs it with python3-torch");
        return "";
    }
    return "/usr/bin/python3 -m torch.distributed.run";
}

// A TCP port free on this host now, for torchrun's --master_port.
int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(fd >= 0);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    close(fd);
    return ntohs(address.sin_port);
}

// `torchrun` starting 2 workers of the command that follows, polling them every 0.2 s.
// Unless `options` pick another, its rendezvous is the default (static, on --master_port),
// where its agent hosts the store. Debian 12's torchrun (PyTorch 1.13 on Python 3.11) cannot parse
// its own default "0" of --redirects and --tee: Std.from_str finds a value by iterating the
// IntFlag, which on Python 3.11 skips the zero member, and the agent fails in to_map
// ('NoneType' object has no attribute 'get'). A mapping for a local rank that does not exist
// (9) parses, and leaves every worker's output where it is.
// Its logs go to torchelastic/ in the working folder instead of a new folder in /tmp.
std::string torchrun_two(const std::string& torchrun, const std::string& options = "") {
    return torchrun + " --nproc_per_node 2 --master_addr 127.0.0.1 --master_port " +
           std::to_string(free_port()) +
           " --monitor_interval 0.2 --redirects 9:1 --tee 9:1 --log_dir torchelastic " + options +
           " --no_python ";
}

// Runs `command` through the shell in `dir`, its output in out.txt and err.txt there.
ladder::test::Result run_in(const std::string& dir, const std::string& command) {
    const int status =
        std::system(("cd '" + dir + "' && (" + command + ") >out.txt 2>err.txt").c_str());
    ladder::test::Result result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_file(dir + "/out.txt");
    result.err = read_file(dir + "/err.txt");
    return result;
}

const std::string kLadder = "'" + std::string(LADDER_BINARY) + "' ";

}  // namespace

TEST_CASE("2 ranks train the same trajectory as 1 rank with the same global batch",
          "[distributed]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    write_documents(dir.path + "/v.u16", 20, 2, 512, 0, 9);
    const std::string train = kTrain + until(30) + "--data.validation='{held: [v.u16]}' ";
    const auto one = run_ladder(train + "--dir one", dir.path);
    INFO(one.out << one.err);
    REQUIRE(one.exit_code == 0);
    const auto two = run_ladder(train + "--dir two --nproc-per-node 2", dir.path);
    INFO(two.out << two.err);
    REQUIRE(two.exit_code == 0);
    // Rank 0 alone logs: one start line, one line per logged step.
    CHECK(count_of(two.err, "ladder: [rank 0/2] training tiny-tiny") == 1);
    CHECK(count_of(two.err, "[rank 1/2]") == 0);  // the other ranks log warnings only
    CHECK(count_of(two.out, "[step=30/30") == 1);
    CHECK(two.err.find("ladder: [rank 0/2] 2 data-parallel ranks (torchrun, gloo); each reads 4 "
                       "of the 8 instances of a step") != std::string::npos);
    // Gloo sums in another order than one process does. Measured here over 30 steps: the
    // loss differs by at most ~2e-7 relative, the gradient norm (a sum of squares of every
    // gradient) by at most ~3e-5.
    double worst_loss = 0, worst_norm = 0;
    const auto relative = [](double a, double b) { return std::fabs(a - b) / std::fabs(a); };
    for (int64_t step = 1; step <= 30; ++step) {
        worst_loss =
            std::max(worst_loss, relative(metric(dir.path + "/one", step, "train/CE loss"),
                                          metric(dir.path + "/two", step, "train/CE loss")));
        worst_norm = std::max(worst_norm,
                              relative(metric(dir.path + "/one", step, "optim/total grad norm"),
                                       metric(dir.path + "/two", step, "optim/total grad norm")));
    }
    INFO("largest relative differences: loss " << worst_loss << ", grad norm " << worst_norm);
    CHECK(worst_loss < 1e-5);
    CHECK(worst_norm < 1e-4);
    // The validation set is split over the ranks and its sums combined.
    CHECK(relative(metric(dir.path + "/one", 10, "eval/lm/held/CE loss"),
                   metric(dir.path + "/two", 10, "eval/lm/held/CE loss")) < 1e-5);
    CHECK(metric(dir.path + "/two", 30, "train/CE loss") <
          metric(dir.path + "/two", 1, "train/CE loss"));
    CHECK(ladder::io::find_checkpoints(dir.path + "/two/tiny") ==
          ladder::io::find_checkpoints(dir.path + "/one/tiny"));
}

TEST_CASE("a 2-rank run resumes from its checkpoint like an uninterrupted 2-rank run",
          "[distributed]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    const std::string two = kTrain + "--nproc-per-node 2 ";
    REQUIRE(run_ladder(two + until(8) + "--dir straight", dir.path).exit_code == 0);
    REQUIRE(run_ladder(two + until(4) + "--dir resumed", dir.path).exit_code == 0);
    const auto second = run_ladder(two + until(8) + "--dir resumed", dir.path);
    INFO(second.out << second.err);
    REQUIRE(second.exit_code == 0);
    CHECK(second.err.find("ladder: [rank 0/2] resuming from " + dir.path +
                          "/resumed/tiny/step4 (step 4)") != std::string::npos);
    for (int64_t step = 5; step <= 8; ++step) {
        CHECK(metric(dir.path + "/resumed", step, "train/CE loss") ==
              metric(dir.path + "/straight", step, "train/CE loss"));
    }
}

TEST_CASE("one rank launched as a group trains exactly as a plain process", "[distributed]") {
    // The one-GPU NCCL path in miniature: a group of one, its reducer and its all-reduces.
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    REQUIRE(run_ladder(kTrain + until(6) + "--dir plain", dir.path).exit_code == 0);
    // Flags left by an outer torchrun do not reach the workers: their rank 0 hosts the store.
    const auto group = run_ladder(kTrain + until(6) + "--dir group --nproc-per-node 1", dir.path,
                                  "TORCHELASTIC_USE_AGENT_STORE=True TORCHELASTIC_RESTART_COUNT=2");
    INFO(group.out << group.err);
    REQUIRE(group.exit_code == 0);
    CHECK(group.err.find("ladder: 1 data-parallel rank (torchrun, gloo); each reads 8 "
                         "of the 8 instances of a step") != std::string::npos);
    for (int64_t step = 1; step <= 6; ++step) {
        CHECK(metric(dir.path + "/group", step, "train/CE loss") ==
              metric(dir.path + "/plain", step, "train/CE loss"));
        CHECK(metric(dir.path + "/group", step, "optim/total grad norm") ==
              metric(dir.path + "/plain", step, "optim/total grad norm"));
    }
}

TEST_CASE("local ranks share the machine's cores unless trainer.threads says otherwise",
          "[distributed]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    cpu_set_t set;
    CPU_ZERO(&set);
    REQUIRE(sched_getaffinity(0, sizeof set, &set) == 0);
    const int threads = std::max(1, CPU_COUNT(&set) / 2);
    const auto two = run_ladder(
        "train tiny --config tiny.yaml --nproc-per-node 2 " + until(2) + "--dir two", dir.path);
    INFO(two.out << two.err);
    REQUIRE(two.exit_code == 0);
    CHECK(two.err.find("on cpu with " + std::to_string(threads) +
                       (threads == 1 ? " thread\n" : " threads\n")) != std::string::npos);
}

TEST_CASE("a launch that does not match the plan says how many to launch", "[distributed]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    // 8 instances per step in micro-batches of 4: one or two ranks can share them.
    ladder::test::require_usage_error(
        run_ladder(kTrain + "--nproc-per-node 3", dir.path),
        "size tiny trains 2 micro-batch(es) per step, which 3 process(es) cannot share evenly: "
        "launch one of 1, 2 (--nproc-per-node)");
    CHECK_FALSE(std::filesystem::exists(dir.path + "/runs"));
}

TEST_CASE("a rank that never joins, or one that dies, ends the others with one clear line",
          "[distributed]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    const std::string binary = "'" + std::string(LADDER_BINARY) + "' ";
    const std::string env =
        "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$((20000 + $$ % 20000)) ";

    // Rank 1 is never started.
    const std::string alone = "cd '" + dir.path + "' && RANK=0 " + env + binary + kTrain +
                              "--trainer.dist_timeout_seconds=2 >alone.out 2>alone.err; "
                              "echo $? >alone.code";
    REQUIRE(std::system(alone.c_str()) == 0);
    CHECK(read_file(dir.path + "/alone.code") == "1\n");
    const std::string alone_err = read_file(dir.path + "/alone.err");
    CHECK(alone_err.find("timed out after 2 s: rank 1 of 2 never joined") != std::string::npos);
    CHECK(count_of(alone_err, "\n") == 1);

    // Rank 1 is killed once training runs; rank 0 stops with the line naming it.
    const std::string killed =
        "cd '" + dir.path + "' && (RANK=0 " + env + binary + kTrain + until(100000) +
        "--run.num_train_steps=100000 >r0.out 2>r0.err & r0=$!; RANK=1 " + env + binary + kTrain +
        until(100000) +
        "--run.num_train_steps=100000 >/dev/null 2>/dev/null & r1=$!; "
        "for i in $(seq 600); do grep -q 'step=1/' r0.out 2>/dev/null && break; sleep 0.1; done; "
        "kill -9 $r1; wait $r1; wait $r0; echo $? >r0.code) 2>/dev/null";
    REQUIRE(std::system(killed.c_str()) == 0);
    const std::string err = read_file(dir.path + "/r0.err");
    INFO(read_file(dir.path + "/r0.out") << err);
    CHECK(read_file(dir.path + "/r0.code") == "1\n");
    CHECK(count_of(err, "ladder: [rank 0/2] failed: rank 1 of 2 exited during ") == 1);
    CHECK(err.find("; rank 0 stops too (") != std::string::npos);
    CHECK(count_of(err, "failed") == 1);  // its progress lines, then one line of failure
    CHECK(count_of(err, "terminate") == 0);
}

TEST_CASE("SIGTERM to the launcher stops every worker with a checkpoint and exit code 75",
          "[distributed]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    REQUIRE(launch_two_then(dir.path, "kill -TERM $pid; wait $pid; echo $? >code.txt") == 0);
    const std::string err = read_file(dir.path + "/err.txt");
    INFO(read_file(dir.path + "/out.txt") << err);
    CHECK(read_file(dir.path + "/code.txt") == "75\n");
    CHECK(count_of(err, "ladder: [rank 0/2] stopped by SIGTERM after step ") == 1);
    const auto steps = ladder::io::find_checkpoints(dir.path + "/runs/tiny");
    REQUIRE(steps.size() == 2);  // step 0 and the stop
    CHECK(steps.back() > 0);
}

TEST_CASE("when one worker dies, --nproc-per-node ends the others and fails", "[distributed]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    // Kill the newest worker (rank 1) once training runs; the launcher's exit code and
    // the workers left alive afterwards tell the rest.
    REQUIRE(launch_two_then(dir.path,
                            "workers=$(pgrep -P $pid | tr '\\n' ' '); kill -9 $(pgrep -n -P $pid); "
                            "wait $pid; echo $? >code.txt; sleep 0.5; alive=0; for w in $workers; "
                            "do kill -0 $w 2>/dev/null && alive=$((alive + 1)); done; "
                            "echo $alive >alive.txt") == 0);
    const std::string err = read_file(dir.path + "/err.txt");
    INFO(err);
    CHECK(read_file(dir.path + "/code.txt") == "137\n");
    CHECK(err.find("ladder: error: rank 1 exited with code 137; stopping the other 1") !=
          std::string::npos);
    CHECK(read_file(dir.path + "/alive.txt") == "0\n");
}

TEST_CASE("under torchrun the workers meet in the store its agent hosts, or in rank 0's",
          "[distributed][torchrun]") {
    const std::string torchrun = torchrun_or_warn();
    if (torchrun.empty())
        return;
    // The default (static) rendezvous: the agent serves the store on --master_port and tells
    // the workers so (TORCHELASTIC_USE_AGENT_STORE=True), so rank 0 must not bind the port
    // again. The c10d rendezvous of --standalone: on PyTorch 1.13 rank 0 hosts the store
    // (given a port of its own here, since 1.13's --standalone always takes 29400).
    const std::string c10d =
        "--rdzv_backend c10d --rdzv_endpoint 127.0.0.1:" + std::to_string(free_port());
    for (const std::string& rendezvous : {std::string(), c10d}) {
        INFO("torchrun " << rendezvous);
        TempDir dir;
        write_tiny_run(dir.path, 8192);
        const auto run =
            run_in(dir.path, torchrun_two(torchrun, rendezvous) + kLadder + kTrain + until(6));
        INFO(run.out << run.err);
        REQUIRE(run.exit_code == 0);
        CHECK(run.err.find("ladder: [rank 0/2] 2 data-parallel ranks (torchrun, gloo)") !=
              std::string::npos);
        CHECK(count_of(run.out, "[step=6/6") == 1);
        CHECK(ladder::io::find_checkpoints(dir.path + "/runs/tiny") == std::vector<int64_t>{0, 6});
        CHECK(std::filesystem::exists(dir.path + "/runs/tiny/metrics_step6.json"));
    }
}

TEST_CASE("after a worker fails, torchrun's next attempt rendezvouses anew and resumes",
          "[distributed][torchrun]") {
    const std::string torchrun = torchrun_or_warn();
    if (torchrun.empty())
        return;
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    // A worker that fails once: rank 1 of the first attempt is killed as soon as step 10's
    // checkpoint is complete (a checkpoint is renamed into place when whole). The second
    // attempt (TORCHELASTIC_RESTART_COUNT=1) finds the first one's keys in the agent's
    // store, meets under its own prefix, resumes from step 10 and stops at step 14.
    const std::string train = kLadder + kTrain + "--trainer.dist_timeout_seconds=20 ";
    std::string worker;
    worker +=
        "if [ \"$TORCHELASTIC_RESTART_COUNT\" != 0 ]; then exec " + train + until(14) + "; fi\n";
    worker += "if [ \"$RANK\" != 1 ]; then exec " + train + "; fi\n";
    worker += train + "& worker=$!\n";
    worker +=
        "for i in $(seq 1200); do\n"
        "    [ -d runs/tiny/step10 ] || ! kill -0 $worker 2>/dev/null && break\n"
        "    sleep 0.05\n"
        "done\n"
        "kill -9 $worker\n"
        "exit 137\n";
    write_file(dir.path + "/worker.sh", worker);
    const auto run = run_in(dir.path, torchrun_two(torchrun, "--max_restarts 1") + "sh worker.sh");
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.err.find("ladder: [rank 0/2] resuming from " + dir.path +
                       "/runs/tiny/step10 (step 10)") != std::string::npos);
    CHECK(count_of(run.out, "[step=14/14") == 1);
    CHECK(ladder::io::find_checkpoints(dir.path + "/runs/tiny") == std::vector<int64_t>{0, 10, 14});
}

TEST_CASE("a stop signal under torchrun saves a checkpoint, and torchrun exits 1, not 75",
          "[distributed][torchrun]") {
    const std::string torchrun = torchrun_or_warn();
    if (torchrun.empty())
        return;
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    // SIGTERM to torchrun: its agent passes it on, the workers save and exit 75, and the
    // agent reports their non-zero exit as its own failure. Job scripts that requeue on 75
    // must start the ranks themselves (srun), as ladder.sbatch does.
    const std::string script =
        torchrun_two(torchrun) + kLadder + kTrain +
        "--run.num_train_steps=100000 >out.txt 2>err.txt & pid=$!; "
        "for i in $(seq 600); do grep -q 'step=1/' out.txt 2>/dev/null && break; sleep 0.1; "
        "done; kill -TERM $pid; wait $pid; echo $? >code.txt";
    REQUIRE(std::system(("cd '" + dir.path + "' && (" + script + ")").c_str()) == 0);
    const std::string err = read_file(dir.path + "/err.txt");
    INFO(read_file(dir.path + "/out.txt") << err);
    CHECK(read_file(dir.path + "/code.txt") == "1\n");
    CHECK(count_of(err, "ladder: [rank 0/2] stopped by SIGTERM after step ") == 1);
    const auto steps = ladder::io::find_checkpoints(dir.path + "/runs/tiny");
    REQUIRE(steps.size() == 2);  // step 0 and the stop
    CHECK(steps.back() > 0);
}

namespace {

// Every unit's weights in a sharded checkpoint (train/sharded_checkpoint.hpp): the shards of
// the rank files joined, padding dropped.
std::vector<std::vector<float>> sharded_weights(const std::string& step_dir) {
    const auto layout = nlohmann::json::parse(read_file(step_dir + "/model_and_optim/shards.json"));
    const int64_t shards = layout.at("shards");
    std::vector<std::string> files;
    for (int64_t r = 0; r < shards; ++r)
        files.push_back(read_file(step_dir + "/model_and_optim/rank" + std::to_string(r) + ".bin"));
    std::vector<std::vector<float>> units;
    int64_t first = 0;  // the unit's first element in a rank file
    for (const auto& unit : layout.at("units")) {
        const int64_t numel = unit.at("numel"), shard = unit.at("shard_numel");
        std::vector<float> values(numel);
        for (int64_t e = 0; e < numel; ++e) {
            const std::string& file = files.at(e / shard);
            std::memcpy(&values[e], file.data() + (first + e % shard) * sizeof(float),
                        sizeof(float));
        }
        units.push_back(values);
        first += 3 * shard;  // weights, exp_avg, exp_avg_sq
    }
    return units;
}

// The number in "<prefix>1,234 weights" of a training log.
int64_t held_weights(const std::string& log, const std::string& prefix) {
    const size_t at = log.find(prefix);
    REQUIRE(at != std::string::npos);
    std::string digits;
    for (size_t i = at + prefix.size(); i < log.size() && log[i] != ' '; ++i) {
        if (log[i] != ',')
            digits += log[i];
    }
    return std::stoll(digits);
}

}  // namespace

TEST_CASE("fsdp and hsdp on 2 and 4 ranks train like one process, each rank holding 1/W",
          "[distributed][fsdp]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    // 20 documents: in the last round of evaluation 2 of 4 ranks have no batch.
    write_documents(dir.path + "/v.u16", 20, 2, 512, 0, 9);
    // Micro-batches of 2 instances, so that 4 ranks share a step's 8. A low LR: AdamW's
    // update divides by the root of the second moment, which turns the last bits of a
    // near-zero gradient (summed in another order by the collectives) into whole steps.
    const std::string train = kTrain + until(10) +
                              "--model.rank_microbatch_size=256 --run.learning_rate=1e-4 "
                              "--data.validation='{held: [v.u16]}' ";
    const auto one = run_ladder(train + "--dir one", dir.path);
    INFO(one.err);
    REQUIRE(one.exit_code == 0);
    const int64_t total = held_weights(one.err, "one process holding ");
    // A group of one, sharded: the reference for the weights (the same files' layout).
    const auto whole = run_ladder(
        train + "--dir whole --nproc-per-node 1 --trainer.data_parallel.type=fsdp", dir.path);
    REQUIRE(whole.exit_code == 0);
    const auto reference = sharded_weights(dir.path + "/whole/tiny/step10");
    const auto relative = [](double a, double b) { return std::fabs(a - b) / std::fabs(a); };
    struct Layout {
        std::string name, options;
        int64_t ranks, shards;
    };
    for (const Layout& layout :
         {Layout{"fsdp2", "--nproc-per-node 2 --trainer.data_parallel.type=fsdp", 2, 2},
          Layout{"fsdp4", "--nproc-per-node 4 --trainer.data_parallel.type=fsdp", 4, 4},
          Layout{"hsdp2",
                 "--nproc-per-node 2 --trainer.data_parallel.type=hsdp "
                 "--trainer.data_parallel.shard_degree=1",
                 2, 1},
          Layout{"hsdp4",
                 "--nproc-per-node 4 --trainer.data_parallel.type=hsdp "
                 "--trainer.data_parallel.shard_degree=2",
                 4, 2}}) {
        const auto run =
            run_ladder(train + "--dir " + layout.name + " " + layout.options, dir.path);
        INFO(layout.name << "\n" << run.out << run.err);
        REQUIRE(run.exit_code == 0);
        for (int64_t step = 1; step <= 10; ++step) {
            INFO("step " << step);
            CHECK(relative(metric(dir.path + "/one", step, "train/CE loss"),
                           metric(dir.path + "/" + layout.name, step, "train/CE loss")) <= 1e-5);
            CHECK(relative(metric(dir.path + "/one", step, "optim/total grad norm"),
                           metric(dir.path + "/" + layout.name, step, "optim/total grad norm")) <=
                  1e-5);
        }
        CHECK(relative(metric(dir.path + "/one", 10, "eval/lm/held/CE loss"),
                       metric(dir.path + "/" + layout.name, 10, "eval/lm/held/CE loss")) <= 1e-5);
        const auto weights = sharded_weights(dir.path + "/" + layout.name + "/tiny/step10");
        REQUIRE(weights.size() == reference.size());
        // Each unit's weights as a vector: its distance from one process's, relative.
        double worst = 0;
        for (size_t u = 0; u < weights.size(); ++u) {
            REQUIRE(weights[u].size() == reference[u].size());
            double distance = 0, norm = 0;
            for (size_t i = 0; i < weights[u].size(); ++i) {
                distance += std::pow(weights[u][i] - reference[u][i], 2);
                norm += std::pow(reference[u][i], 2);
            }
            worst = std::max(worst, std::sqrt(distance / norm));
        }
        INFO("largest relative distance of a unit's weights: " << worst);
        CHECK(worst <= 1e-5);
        // 1/shards of everything, give or take each of the 6 units' padding.
        const int64_t held = held_weights(run.err, "each rank holding ");
        CHECK(held * layout.shards >= total);
        CHECK(held * layout.shards < total + 6 * layout.shards);
    }
}

TEST_CASE(
    "a checkpoint of 4 fsdp ranks resumes on 2 ranks, on ddp and in one process; one "
    "of one process on 2 fsdp ranks",
    "[distributed][fsdp][checkpoint]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    const std::string train = kTrain + "--model.rank_microbatch_size=256 ";
    const std::string four = "--nproc-per-node 4 --trainer.data_parallel.type=fsdp ";
    REQUIRE(run_ladder(train + four + until(8) + "--dir straight", dir.path).exit_code == 0);
    REQUIRE(run_ladder(train + four + until(4) + "--dir at4", dir.path).exit_code == 0);
    CHECK(std::filesystem::exists(dir.path + "/at4/tiny/step4/model_and_optim/rank3.bin"));
    REQUIRE(run_ladder(train + until(4) + "--dir plain4", dir.path).exit_code == 0);
    const std::string fsdp2 = "--nproc-per-node 2 --trainer.data_parallel.type=fsdp";
    for (const auto& [from, resume] : std::vector<std::pair<std::string, std::string>>{
             {"at4", fsdp2},
             {"at4", "--nproc-per-node 2 --trainer.data_parallel.type=ddp"},
             {"at4", ""},
             {"plain4", fsdp2}}) {
        const std::string copy = dir.path + "/resumed";
        std::filesystem::remove_all(copy);
        std::filesystem::copy(dir.path + "/" + from, copy,
                              std::filesystem::copy_options::recursive);
        const auto run = run_ladder(train + until(8) + "--dir resumed " + resume, dir.path);
        INFO(from << " -> " << resume << "\n" << run.out << run.err);
        REQUIRE(run.exit_code == 0);
        CHECK(run.err.find("resuming from " + copy + "/tiny/step4 (step 4)") != std::string::npos);
        for (int64_t step = 5; step <= 8; ++step) {
            INFO("step " << step);
            const double expected = metric(dir.path + "/straight", step, "train/CE loss");
            CHECK(std::fabs(metric(copy, step, "train/CE loss") - expected) <= 1e-5 * expected);
        }
    }
}

TEST_CASE("a shard that cannot be written ends a sharded run with one line and no checkpoint",
          "[distributed][fsdp][checkpoint]") {
    for (const char* async : {"true", "false"}) {
        INFO("save_async=" << async);
        TempDir dir;
        write_tiny_run(dir.path, 8192);
        const std::string train = kTrain +
                                  "--model.rank_microbatch_size=256 --nproc-per-node 2 "
                                  "--trainer.data_parallel.type=fsdp "
                                  "--trainer.callbacks.checkpointer.save_async=" +
                                  async + " ";
        REQUIRE(run_ladder(train + until(2), dir.path).exit_code == 0);
        // Files of at most 1 MB (ulimit -f counts 512-byte blocks); each rank's shard file
        // is ~7 MB.
        const auto run = run_in(dir.path, "ulimit -f 2000; " + kLadder + train + until(4));
        INFO(run.err);
        CHECK(run.exit_code == 1);
        CHECK(count_of(run.err,
                       "ladder: [rank 0/2] failed: checkpoint of step 4 not saved: rank 0 could "
                       "not write its shard: cannot write '") == 1);
        CHECK(run.err.find("step4-tmp/model_and_optim/rank0.bin': File too large") !=
              std::string::npos);
        CHECK(ladder::io::find_checkpoints(dir.path + "/runs/tiny") == std::vector<int64_t>{0, 2});
        CHECK_FALSE(std::filesystem::exists(dir.path + "/runs/tiny/step4-tmp"));
    }
}

TEST_CASE("a sharded checkpoint with a changed shard is damaged for every rank alike",
          "[distributed][fsdp][checkpoint]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    const std::string train = kTrain +
                              "--model.rank_microbatch_size=256 --nproc-per-node 2 "
                              "--trainer.data_parallel.type=fsdp ";
    REQUIRE(run_ladder(train + until(2), dir.path).exit_code == 0);
    // One bit of rank 1's shard flipped: only rank 0 reads the whole checkpoint, and it
    // tells rank 1, so both fall back to step 0.
    const std::string shard = dir.path + "/runs/tiny/step2/model_and_optim/rank1.bin";
    std::string bytes = read_file(shard);
    bytes[bytes.size() / 2] ^= 0x01;
    write_file(shard, bytes);
    const auto strict =
        run_ladder(train + until(3) + "--trainer.fallback_to_previous=false", dir.path);
    CHECK(strict.exit_code == 2);
    CHECK(strict.err.find("checkpoint '" + shard + "' is damaged: its bytes changed") !=
          std::string::npos);
    const auto fallback = run_ladder(train + until(3), dir.path);
    INFO(fallback.err);
    CHECK(fallback.exit_code == 0);
    CHECK(fallback.err.find("resuming from " + dir.path + "/runs/tiny/step0 (step 0)") !=
          std::string::npos);
    CHECK(count_of(fallback.out, "[step=3/3") == 1);
}
