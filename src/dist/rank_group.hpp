// The process group of a data-parallel run: LibTorch's c10d, joined through a TCPStore
// on the master (rank 0 hosts it, or torchrun's agent does: then every rank is a client).
// Gloo or NCCL, as the backend says, carries the training tensors; host-side agreements
// (stop signals) go through the store. Every failure — a rendezvous that does not complete,
// a peer that dies — ends with one line naming the ranks that are missing, never a hang past
// the timeout.
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dist/launch_env.hpp"

namespace c10d {
class Work;
}

namespace ladder::dist {

class RankGroup {
  public:
    // `backend`: the config's "cpu:gloo,cuda:nccl" form. Throws UsageError for a backend
    // this LibTorch lacks, std::runtime_error when the ranks do not all join in `timeout`.
    RankGroup(const LaunchEnv& launch, const c10::Device& device, const std::string& backend,
              std::chrono::seconds timeout);
    ~RankGroup();

    // A group of some of the ranks, for collectives among them only (hsdp's shard and
    // replica groups). Every rank in `ranks` calls it with the same ranks and `name`, in the
    // same order as its other subgroups; the ranks outside do not call it.
    std::unique_ptr<RankGroup> subgroup(const std::vector<int64_t>& ranks,
                                        const std::string& name) const;

    // This rank's index in the group, and the group's size.
    int64_t rank() const { return rank_; }
    int64_t size() const { return size_; }
    // "gloo" or "nccl": what carries the training tensors.
    const std::string& backend() const { return tensor_backend_; }

    // Rank 0's values into every rank's tensors, in place.
    void broadcast_from_rank0(std::vector<at::Tensor>& tensors);
    // Sums `tensor` over the ranks in place; the returned function waits for it.
    std::function<void()> all_reduce_sum_async(at::Tensor& tensor);
    void all_reduce_sum(at::Tensor& tensor) { all_reduce_sum_async(tensor)(); }
    // Every rank's `shard` (n elements) into `full` (size() x n, contiguous), in rank
    // order; the returned function waits for it.
    std::function<void()> all_gather_async(at::Tensor& full, const at::Tensor& shard);
    // `shard` (n elements) = the sum over the ranks of their `full`'s slice rank() (full:
    // size() x n, contiguous, and overwritten on backends without a reduce-scatter).
    std::function<void()> reduce_scatter_sum_async(at::Tensor& shard, at::Tensor& full);
    // Whether any rank passes true (on the host, through the store).
    bool any_rank(bool flag);
    // A message for other ranks under `key` (each key posted once; any number of ranks may
    // read it), and the wait for one (up to the timeout, ending early when a rank on this
    // machine exits or a collective of this group failed); through the store, from any
    // thread.
    void post(const std::string& key, const std::string& value);
    std::string wait_for(const std::string& key);

  private:
    struct Impl;
    RankGroup(const RankGroup& parent, int64_t rank, int64_t size, const std::string& name);
    void connect(const std::string& prefix, const c10::Device& device);
    std::function<void()> waiter(c10::intrusive_ptr<c10d::Work> work, const char* what);
    [[noreturn]] void fail(const std::string& during, const std::exception& e) const;
    std::vector<int64_t> local_peers_gone() const;
    void wait_for_key(const std::string& key) const;

    LaunchEnv launch_;
    int64_t rank_ = 0, size_ = 1;
    std::string tensor_backend_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ladder::dist
