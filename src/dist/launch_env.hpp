// Where this process sits in a distributed launch, read from the environment the way
// torchrun and SLURM describe it. Pure C++: the CLI plans with it before LibTorch loads.
//
//   torchrun (and `ladder train --nproc-per-node`): RANK, WORLD_SIZE, LOCAL_RANK,
//       LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; and TORCHELASTIC_USE_AGENT_STORE,
//       TORCHELASTIC_RESTART_COUNT when torchrun's agent already hosts the store.
//   SLURM (srun): SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NTASKS_PER_NODE; the
//       master is the first host of SLURM_JOB_NODELIST (MASTER_ADDR wins when set) and the
//       port MASTER_PORT, else derived from SLURM_JOB_ID so concurrent jobs differ.
//   Neither: a single process.
// torchrun's variables win over SLURM's (srun may start torchrun, which sets them).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ladder::dist {

struct LaunchEnv {
    std::string source = "single";  // "single", "torchrun" or "slurm"
    int64_t rank = 0;
    int64_t world_size = 1;
    int64_t local_rank = 0;
    int64_t local_world_size = 1;
    std::string master_addr = "127.0.0.1";
    int64_t master_port = 29500;
    // torchrun's agent hosts the TCPStore on MASTER_ADDR:MASTER_PORT itself
    // (TORCHELASTIC_USE_AGENT_STORE=True: its default static rendezvous), so every rank,
    // rank 0 included, joins it as a client. `restart_count` is the agent's attempt
    // (TORCHELASTIC_RESTART_COUNT), which names the attempt's keys in that store.
    bool agent_store = false;
    int64_t restart_count = 0;

    // A process group forms for several ranks, and for one rank that torchrun (or
    // --nproc-per-node 1) started, as in PyTorch: a one-GPU run takes the NCCL path too.
    bool distributed() const { return world_size > 1 || source == "torchrun"; }
};

using GetEnv = std::function<const char*(const char*)>;

// Throws UsageError naming the variable when one is missing or malformed.
LaunchEnv detect_launch(const GetEnv& getenv);
LaunchEnv detect_launch();  // from this process's environment

// The prefix of this launch's keys in the rendezvous store: "/worker/attempt_<restart
// count>" in torchrun's agent store, as PyTorch's env:// rendezvous names them, so that a
// restarted attempt never reads the keys of the attempt before it; "" when a rank of this
// launch hosts a store of its own.
std::string store_prefix(const LaunchEnv& launch);

// The default port of a SLURM job: 15000 + SLURM_JOB_ID mod 20000.
int64_t slurm_job_port(int64_t job_id);

// Expands a SLURM host list: "gpu[01-03,07],login-1" -> gpu01 gpu02 gpu03 gpu07 login-1.
// Several bracket groups in one name expand as their product; zero padding is kept.
std::vector<std::string> expand_hostlist(const std::string& list);

// The backend for a device kind ("cpu" or "cuda") from the config's "cpu:gloo,cuda:nccl";
// throws UsageError naming the `backend` key when it is malformed or has no backend for the
// device.
std::string backend_for(const std::string& backend, const std::string& device_kind);

}  // namespace ladder::dist
