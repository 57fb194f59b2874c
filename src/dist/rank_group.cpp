#include "dist/rank_group.hpp"

#include <signal.h>
#include <unistd.h>

#include <torch/version.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "util/error.hpp"
#include "util/format.hpp"

#include "dist/backends.hpp"
#ifdef LADDER_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace ladder::dist {

namespace {

std::string this_host() {
    char name[256] = {0};
    gethostname(name, sizeof(name) - 1);
    return name;
}

// Alive and not a zombie waiting for its parent.
bool process_alive(int64_t pid) {
    if (kill(static_cast<pid_t>(pid), 0) != 0)
        return errno != ESRCH;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

std::string rank_list(const std::vector<int64_t>& ranks) {
    std::vector<std::string> names;
    for (const int64_t rank : ranks)
        names.push_back(std::to_string(rank));
    return (ranks.size() == 1 ? "rank " : "ranks ") + join(names, ", ");
}

std::string rank_key(int64_t rank) {
    return "ladder/rank/" + std::to_string(rank);
}

// Rank 0 hosts the store, unless torchrun's agent already does on the master's port: a
// second server there fails with "address already in use".
bool hosts_store(const LaunchEnv& launch) {
    return launch.rank == 0 && !launch.agent_store;
}

std::string rendezvous_name(const LaunchEnv& launch) {
    return launch.master_addr + ":" + std::to_string(launch.master_port) + " (" + launch.source +
           (launch.agent_store ? "'s agent store, attempt " + std::to_string(launch.restart_count)
                               : std::string()) +
           ")";
}

// The store the ranks meet in, as PyTorch's env:// rendezvous opens it
// (_create_c10d_store in torch/distributed/rendezvous.py): a client of the agent's store
// under the attempt's prefix, or a store of rank 0's.
c10::intrusive_ptr<c10d::Store> open_store(const LaunchEnv& launch, std::chrono::seconds timeout) {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(launch.master_port);
    options.isServer = hosts_store(launch);
    options.numWorkers = static_cast<size_t>(launch.world_size);
    options.waitWorkers = false;
    options.timeout = timeout;
    c10::intrusive_ptr<c10d::Store> store =
        c10::make_intrusive<c10d::TCPStore>(launch.master_addr, options);
    const std::string prefix = store_prefix(launch);
    if (prefix.empty())
        return store;
    return c10::make_intrusive<c10d::PrefixStore>(prefix, store);
}

}  // namespace

struct RankGroup::Impl {
    c10::intrusive_ptr<c10d::Store> store;
#ifdef LADDER_GLOO
    c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#endif
#ifdef USE_C10D_NCCL
    c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
    std::chrono::milliseconds timeout{0};
    c10::Device device{c10::kCPU};
    std::vector<std::pair<std::string, int64_t>> peers;  // (host, pid) per rank
    int64_t stop_checks = 0;
    // Set once a collective of this group or its subgroups failed: waits on the store in
    // other threads give up too.
    std::shared_ptr<std::atomic<bool>> failed = std::make_shared<std::atomic<bool>>(false);

    // Calls `op` on the group that carries the training tensors (exactly one is set).
    template <typename Op>
    c10::intrusive_ptr<c10d::Work> on_tensor_group(const Op& op) {
#ifdef USE_C10D_NCCL
        if (nccl)
            return op(*nccl);
#endif
#ifdef LADDER_GLOO
        return op(*gloo);
#else
        throw std::logic_error("no process group");
#endif
    }
    c10::intrusive_ptr<c10d::Work> allreduce(std::vector<at::Tensor>& tensors) {
        return on_tensor_group([&](auto& group) { return group.allreduce(tensors); });
    }
    c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& tensors) {
        return on_tensor_group([&](auto& group) { return group.broadcast(tensors); });
    }
};

RankGroup::RankGroup(const LaunchEnv& launch, const c10::Device& device, const std::string& backend,
                     std::chrono::seconds timeout)
    : launch_(launch),
      rank_(launch.rank),
      size_(launch.world_size),
      impl_(std::make_unique<Impl>()) {
    tensor_backend_ = backend_for(backend, device.is_cuda() ? "cuda" : "cpu");
#ifndef USE_C10D_NCCL
    if (tensor_backend_ == "nccl") {
        throw UsageError("backend: this LibTorch (" TORCH_VERSION
                         ") has no NCCL process group; use a CUDA build of LibTorch 2.x or "
                         "cuda:gloo");
    }
#endif
#ifndef LADDER_GLOO
    if (tensor_backend_ == "gloo") {
        throw UsageError("backend: this LibTorch (" TORCH_VERSION
                         ") comes without Gloo's headers (as PyTorch's wheels do), so ladder "
                         "was built without Gloo; train on CUDA with cuda:nccl, or build "
                         "against a LibTorch with them (Debian's libtorch-dev and libgloo-dev)");
    }
#endif
    impl_->timeout = timeout;
    const std::string where = rendezvous_name(launch);
    try {
        impl_->store = open_store(launch, timeout);
    } catch (const std::exception& e) {
        if (hosts_store(launch)) {
            throw std::runtime_error("rank 0 cannot host the rendezvous at " + where + ": " +
                                     first_line(e.what()));
        }
        throw std::runtime_error("rank " + std::to_string(launch.rank) +
                                 " cannot reach the rendezvous at " + where + " within " +
                                 std::to_string(timeout.count()) + " s (is " +
                                 (launch.agent_store ? "torchrun's agent" : "rank 0") +
                                 " running?): " + first_line(e.what()));
    }

    // Every rank announces itself; the ones that never do are named.
    impl_->store->set(rank_key(launch.rank), [&] {
        const std::string text = this_host() + " " + std::to_string(getpid());
        return std::vector<uint8_t>(text.begin(), text.end());
    }());
    std::vector<std::string> keys;
    for (int64_t r = 0; r < launch.world_size; ++r)
        keys.push_back(rank_key(r));
    try {
        impl_->store->wait(keys, timeout);
    } catch (const std::exception&) {
        std::vector<int64_t> missing;
        for (int64_t r = 0; r < launch.world_size; ++r) {
            if (!impl_->store->check({rank_key(r)}))
                missing.push_back(r);
        }
        throw std::runtime_error("rendezvous at " + where + " timed out after " +
                                 std::to_string(timeout.count()) + " s: " + rank_list(missing) +
                                 " of " + std::to_string(launch.world_size) + " never joined");
    }
    for (const std::string& key : keys) {
        const std::vector<uint8_t> value = impl_->store->get(key);
        std::istringstream in(std::string(value.begin(), value.end()));
        std::string host;
        int64_t pid = 0;
        in >> host >> pid;
        impl_->peers.emplace_back(host, pid);
    }

    try {
        connect("", device);
    } catch (const std::exception& e) {
        fail("connecting the process group", e);
    }
}

// The process group that carries the tensors, over rank_ of size_, meeting in the store
// under `prefix`.
void RankGroup::connect(const std::string& prefix, const c10::Device& device) {
#ifdef LADDER_GLOO
    if (tensor_backend_ == "gloo") {
        auto gloo_options = c10d::ProcessGroupGloo::Options::create(impl_->timeout);
        const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
        gloo_options->devices.push_back(
            interface && *interface ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                    : c10d::ProcessGroupGloo::createDefaultDevice());
        impl_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(
            c10::make_intrusive<c10d::PrefixStore>(prefix + "gloo", impl_->store),
            static_cast<int>(rank_), static_cast<int>(size_), gloo_options);
    }
#endif
#ifdef USE_C10D_NCCL
    if (tensor_backend_ == "nccl") {
        // NCCL creates its communicator on the current device: this rank's GPU.
        c10::cuda::set_device(device.index());
        // The watchdog aborts a collective that takes longer than this.
        auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
        nccl_options->timeout = impl_->timeout;
        impl_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(
            c10::make_intrusive<c10d::PrefixStore>(prefix + "nccl", impl_->store),
            static_cast<int>(rank_), static_cast<int>(size_), nccl_options);
    }
#endif
    impl_->device = device;
}

RankGroup::RankGroup(const RankGroup& parent, int64_t rank, int64_t size, const std::string& name)
    : launch_(parent.launch_),
      rank_(rank),
      size_(size),
      tensor_backend_(parent.tensor_backend_),
      impl_(std::make_unique<Impl>()) {
    impl_->store = parent.impl_->store;
    impl_->timeout = parent.impl_->timeout;
    impl_->peers = parent.impl_->peers;
    impl_->failed = parent.impl_->failed;
    try {
        connect(name + "/", parent.impl_->device);
    } catch (const std::exception& e) {
        fail("connecting the " + name + " group", e);
    }
}

std::unique_ptr<RankGroup> RankGroup::subgroup(const std::vector<int64_t>& ranks,
                                               const std::string& name) const {
    const auto self = std::find(ranks.begin(), ranks.end(), launch_.rank);
    if (self == ranks.end())
        throw std::logic_error("subgroup " + name + " without this rank");
    return std::unique_ptr<RankGroup>(new RankGroup(
        *this, self - ranks.begin(), static_cast<int64_t>(ranks.size()), "ladder/" + name));
}

RankGroup::~RankGroup() = default;

// Only the peers on this machine can be seen to have exited.
std::vector<int64_t> RankGroup::local_peers_gone() const {
    std::vector<int64_t> gone;
    const std::string host = this_host();
    for (int64_t r = 0; r < static_cast<int64_t>(impl_->peers.size()); ++r) {
        if (r != launch_.rank && impl_->peers[r].first == host &&
            !process_alive(impl_->peers[r].second))
            gone.push_back(r);
    }
    return gone;
}

void RankGroup::fail(const std::string& during, const std::exception& e) const {
    *impl_->failed = true;
    // A killed process closes its sockets, which is what this rank noticed, before it leaves
    // the process table: look again for up to 2 s before blaming the network.
    const std::string host = this_host();
    // Other ranks on this machine (the count includes this one): only they can be seen to exit.
    const bool has_local_peers =
        std::count_if(impl_->peers.begin(), impl_->peers.end(),
                      [&](const auto& peer) { return peer.first == host; }) > 1;
    std::vector<int64_t> gone = local_peers_gone();
    for (int look = 1; look < 40 && gone.empty() && has_local_peers; ++look) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        gone = local_peers_gone();
    }
    const std::string cause = first_line(e.what());
    if (!gone.empty()) {
        throw std::runtime_error(rank_list(gone) + " of " + std::to_string(launch_.world_size) +
                                 " exited during " + during + "; rank " +
                                 std::to_string(launch_.rank) + " stops too (" + cause + ")");
    }
    throw std::runtime_error("rank " + std::to_string(launch_.rank) +
                             " lost the other ranks during " + during + " (timeout " +
                             std::to_string(impl_->timeout.count() / 1000) + " s): " + cause);
}

void RankGroup::broadcast_from_rank0(std::vector<at::Tensor>& tensors) {
    try {
        for (at::Tensor& tensor : tensors) {
            std::vector<at::Tensor> one{tensor};
            impl_->broadcast(one)->wait(impl_->timeout);
        }
    } catch (const std::exception& e) {
        fail("the broadcast of rank 0's weights", e);
    }
}

std::function<void()> RankGroup::waiter(c10::intrusive_ptr<c10d::Work> work, const char* what) {
    return [this, work, what] {
        try {
#ifdef USE_C10D_NCCL
            // NCCL: the current stream waits, not the host (with a timeout, LibTorch 2.6
            // and later spin the host until the collective ends); its watchdog enforces the
            // group's timeout.
            if (impl_->nccl) {
                work->wait();
                return;
            }
#endif
            work->wait(impl_->timeout);
        } catch (const std::exception& e) {
            fail(what, e);
        }
    };
}

std::function<void()> RankGroup::all_reduce_sum_async(at::Tensor& tensor) {
    std::vector<at::Tensor> one{tensor};
    try {
        return waiter(impl_->allreduce(one), "an all-reduce");
    } catch (const std::exception& e) {
        fail("an all-reduce", e);
    }
}

std::function<void()> RankGroup::all_gather_async(at::Tensor& full, const at::Tensor& shard) {
    try {
#ifdef USE_C10D_NCCL
        if (impl_->nccl)
            return waiter(impl_->nccl->_allgather_base(full, const_cast<at::Tensor&>(shard)),
                          "an all-gather");
#endif
        // Gloo's all-gather takes a list of outputs: the slices of `full`.
        std::vector<std::vector<at::Tensor>> outputs(1);
        for (int64_t r = 0; r < size_; ++r)
            outputs[0].push_back(full.narrow(0, r * shard.numel(), shard.numel()));
        std::vector<at::Tensor> inputs{shard};
        return waiter(
            impl_->on_tensor_group([&](auto& group) { return group.allgather(outputs, inputs); }),
            "an all-gather");
    } catch (const std::exception& e) {
        fail("an all-gather", e);
    }
}

std::function<void()> RankGroup::reduce_scatter_sum_async(at::Tensor& shard, at::Tensor& full) {
    try {
#ifdef USE_C10D_NCCL
        if (impl_->nccl)
            return waiter(impl_->nccl->_reduce_scatter_base(shard, full), "a reduce-scatter");
#endif
        // Gloo has no reduce-scatter in every LibTorch: the same sums by an all-reduce, of
        // which this rank keeps its slice.
        std::vector<at::Tensor> one{full};
        std::function<void()> reduced = waiter(impl_->allreduce(one), "a reduce-scatter");
        return [reduced, shard, full, this]() mutable {
            reduced();
            shard.copy_(full.narrow(0, rank_ * shard.numel(), shard.numel()));
        };
    } catch (const std::exception& e) {
        fail("a reduce-scatter", e);
    }
}

// Polls rather than TCPStore::wait, whose timeout would leave the server's late reply in the
// socket to be read as the answer to the next request; between polls it looks at the peers
// on this machine, so that one that died ends the wait at once, not after the timeout.
void RankGroup::wait_for_key(const std::string& key) const {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    Clock::time_point next_look = start + std::chrono::seconds(1);
    for (int polls = 0;; ++polls) {
        if (impl_->store->check({key}))
            return;
        if (*impl_->failed)
            throw std::runtime_error("the group failed");
        const Clock::time_point now = Clock::now();
        if (now - start > impl_->timeout)
            throw std::runtime_error("timed out waiting for the other ranks");
        if (now >= next_look) {
            if (!local_peers_gone().empty())
                throw std::runtime_error("a rank on this machine exited");
            next_look = now + std::chrono::seconds(1);
        }
        // Ranks usually arrive within a few round trips; then the polls slow down.
        if (polls >= 100)
            std::this_thread::sleep_for(std::chrono::microseconds(polls < 1000 ? 100 : 1000));
    }
}

void RankGroup::post(const std::string& key, const std::string& value) {
    try {
        impl_->store->set("ladder/post/" + key, std::vector<uint8_t>(value.begin(), value.end()));
    } catch (const std::exception& e) {
        fail("posting " + key, e);
    }
}

std::string RankGroup::wait_for(const std::string& key) {
    try {
        wait_for_key("ladder/post/" + key);
        const std::vector<uint8_t> value = impl_->store->get("ladder/post/" + key);
        return std::string(value.begin(), value.end());
    } catch (const std::exception& e) {
        fail("waiting for " + key, e);
    }
}

// Through the store rather than a process group: no GPU sync, and the same on every
// backend. Each check has its own keys; the last rank to arrive marks it done.
bool RankGroup::any_rank(bool flag) {
    const std::string key = "ladder/stop/" + std::to_string(impl_->stop_checks);
    c10d::Store& store = *impl_->store;
    bool any = false;
    try {
        if (flag)
            store.add(key + "/flag", 1);
        if (store.add(key + "/count", 1) == launch_.world_size)
            store.set(key + "/done", std::vector<uint8_t>{1});
        wait_for_key(key + "/done");
        any = store.add(key + "/flag", 0) > 0;
        // Every rank has passed check n-1, so none still reads check n-2's keys.
        if (launch_.rank == 0 && impl_->stop_checks >= 2) {
            const std::string old = "ladder/stop/" + std::to_string(impl_->stop_checks - 2);
            for (const char* part : {"/flag", "/count", "/done"})
                store.deleteKey(old + part);
        }
    } catch (const std::exception& e) {
        fail("the stop check", e);
    }
    ++impl_->stop_checks;
    return any;
}

}  // namespace ladder::dist
