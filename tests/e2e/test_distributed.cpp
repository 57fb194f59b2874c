// Data-parallel training on the CPU with Gloo: real worker processes on this machine,
// started by `--nproc-per-node` or by hand with torchrun's variables.
#include <sched.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/run_ladder.hpp"
#include "e2e/tiny_ladder.hpp"
#include "io/checkpoint_dir.hpp"

using ladder::test::count_of;
using ladder::test::read_file;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_tiny_run;
using ladder::test::write_tokens;

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

}  // namespace

TEST_CASE("2 ranks train the same trajectory as 1 rank with the same global batch",
          "[distributed]") {
    TempDir dir;
    write_tiny_run(dir.path, 8192);
    write_tokens(dir.path + "/v.u16", 3072, 2, 512, 9);
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
    const auto group = run_ladder(kTrain + until(6) + "--dir group --nproc-per-node 1", dir.path);
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
