// Launch detection from simulated torchrun and SLURM environments (no scheduler needed).
#include <catch2/catch.hpp>
#include <map>

#include "dist/launch_env.hpp"
#include "util/error.hpp"

using ladder::dist::detect_launch;
using ladder::dist::expand_hostlist;
using ladder::dist::LaunchEnv;
using ladder::dist::store_prefix;
using Vars = std::map<std::string, std::string>;
using Hosts = std::vector<std::string>;

namespace {

LaunchEnv launch_with(const Vars& vars) {
    return detect_launch([&vars](const char* name) -> const char* {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
    });
}

}  // namespace

TEST_CASE("no launcher variables: one process", "[launch]") {
    const LaunchEnv env = launch_with({});
    CHECK(env.source == "single");
    CHECK(env.world_size == 1);
    CHECK_FALSE(env.distributed());
}

TEST_CASE("one rank started by torchrun still forms a process group", "[launch]") {
    const LaunchEnv env = launch_with({{"RANK", "0"},
                                       {"WORLD_SIZE", "1"},
                                       {"MASTER_ADDR", "127.0.0.1"},
                                       {"MASTER_PORT", "29400"}});
    CHECK(env.source == "torchrun");
    CHECK(env.world_size == 1);
    CHECK(env.distributed());
    CHECK(env.master_port == 29400);
    // SLURM's single task is a plain process, as before.
    CHECK_FALSE(launch_with({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}).distributed());
}

TEST_CASE("torchrun variables give ranks and the master", "[launch]") {
    const LaunchEnv env = launch_with({{"RANK", "3"},
                                       {"WORLD_SIZE", "4"},
                                       {"LOCAL_RANK", "1"},
                                       {"LOCAL_WORLD_SIZE", "2"},
                                       {"MASTER_ADDR", "node7"},
                                       {"MASTER_PORT", "29511"},
                                       {"SLURM_PROCID", "0"},
                                       {"SLURM_NTASKS", "2"}});
    CHECK(env.source == "torchrun");
    CHECK(env.rank == 3);
    CHECK(env.world_size == 4);
    CHECK(env.local_rank == 1);
    CHECK(env.local_world_size == 2);
    CHECK(env.master_addr == "node7");
    CHECK(env.master_port == 29511);
    CHECK_THROWS_WITH(launch_with({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}}),
                      "environment variable MASTER_ADDR is not set (needed for a distributed "
                      "launch)");
    CHECK_THROWS_WITH(launch_with({{"RANK", "2"}, {"WORLD_SIZE", "two"}}),
                      "environment variable WORLD_SIZE='two': expected an integer of at least 1");
    CHECK_THROWS_WITH(
        launch_with(
            {{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}),
        "rank 2 is not below the world size 2 (torchrun variables)");
}

TEST_CASE("under torchrun's agent store every rank is a client under the attempt's prefix",
          "[launch]") {
    // What torchrun's default (static) rendezvous sets for a worker of its second attempt.
    Vars vars = {{"RANK", "0"},
                 {"WORLD_SIZE", "2"},
                 {"MASTER_ADDR", "127.0.0.1"},
                 {"MASTER_PORT", "29500"},
                 {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                 {"TORCHELASTIC_RESTART_COUNT", "1"}};
    LaunchEnv env = launch_with(vars);
    CHECK(env.agent_store);
    CHECK(env.restart_count == 1);
    CHECK(store_prefix(env) == "/worker/attempt_1");
    vars["TORCHELASTIC_RESTART_COUNT"] = "0";
    CHECK(store_prefix(launch_with(vars)) == "/worker/attempt_0");
    vars.erase("TORCHELASTIC_RESTART_COUNT");
    CHECK(store_prefix(launch_with(vars)) == "/worker/attempt_0");
    vars["TORCHELASTIC_RESTART_COUNT"] = "-1";
    CHECK_THROWS_WITH(launch_with(vars),
                      "environment variable TORCHELASTIC_RESTART_COUNT='-1': expected an integer "
                      "of at least 0");

    // --standalone (c10d rendezvous) and ladder's own launcher: rank 0 hosts the store.
    for (const char* use : {"False", "true", ""}) {
        vars["TORCHELASTIC_USE_AGENT_STORE"] = use;
        vars["TORCHELASTIC_RESTART_COUNT"] = "3";
        env = launch_with(vars);
        INFO(use);
        CHECK_FALSE(env.agent_store);
        CHECK(store_prefix(env).empty());
    }
    // SLURM's srun starts no agent: its variable means nothing there.
    const LaunchEnv slurm = launch_with({{"SLURM_PROCID", "0"},
                                         {"SLURM_NTASKS", "2"},
                                         {"SLURM_JOB_NODELIST", "n1"},
                                         {"TORCHELASTIC_USE_AGENT_STORE", "True"}});
    CHECK_FALSE(slurm.agent_store);
}

TEST_CASE("a SLURM allocation of 2 nodes x 8 tasks: ranks, master host and job port", "[launch]") {
    // What srun sets for task 13 of job 4242 on gpu[011-012].
    const Vars vars = {{"SLURM_PROCID", "13"},
                       {"SLURM_NTASKS", "16"},
                       {"SLURM_LOCALID", "5"},
                       {"SLURM_NTASKS_PER_NODE", "8(x2)"},
                       {"SLURM_JOB_NODELIST", "gpu[011-012]"},
                       {"SLURM_JOB_ID", "4242"}};
    const LaunchEnv env = launch_with(vars);
    CHECK(env.source == "slurm");
    CHECK(env.rank == 13);
    CHECK(env.world_size == 16);
    CHECK(env.local_rank == 5);
    CHECK(env.local_world_size == 8);
    CHECK(env.master_addr == "gpu011");
    CHECK(env.master_port == 15000 + 4242);
    Vars with_master = vars;
    with_master["MASTER_ADDR"] = "10.0.0.1";
    with_master["MASTER_PORT"] = "29400";
    CHECK(launch_with(with_master).master_addr == "10.0.0.1");
    CHECK(launch_with(with_master).master_port == 29400);
}

TEST_CASE("SLURM host lists expand like scontrol show hostnames", "[launch]") {
    CHECK(expand_hostlist("node1") == Hosts{"node1"});
    CHECK(expand_hostlist("gpu[01-03,07],login-1") ==
          Hosts{"gpu01", "gpu02", "gpu03", "gpu07", "login-1"});
    CHECK(expand_hostlist("rack[1-2]-n[8-9]") ==
          Hosts{"rack1-n8", "rack1-n9", "rack2-n8", "rack2-n9"});
    CHECK(expand_hostlist("a[098-101]") == Hosts{"a098", "a099", "a100", "a101"});
    CHECK_THROWS_AS(expand_hostlist("gpu[01-03"), ladder::UsageError);
    CHECK_THROWS_AS(expand_hostlist("gpu[3-1]"), ladder::UsageError);
}

TEST_CASE("the backend setting names one backend per device kind", "[launch]") {
    using ladder::dist::backend_for;
    CHECK(backend_for("cpu:gloo,cuda:nccl", "cpu") == "gloo");
    CHECK(backend_for("cpu:gloo,cuda:nccl", "cuda") == "nccl");
    CHECK(backend_for("cuda:gloo", "cuda") == "gloo");
    CHECK_THROWS_WITH(backend_for("cuda:nccl", "cpu"),
                      "backend: 'cuda:nccl' names no backend for cpu");
    CHECK_THROWS_WITH(backend_for("cpu:nccl", "cpu"),
                      "backend: expected entries cpu:gloo, cuda:nccl or cuda:gloo separated by "
                      "commas, got 'cpu:nccl' in 'cpu:nccl'");
}
