// Fully sharded data parallelism: PyTorch's FSDP2 (torch/distributed/fsdp/_fully_shard, the
// `fully_shard` design OLMo-core's TransformerDataParallelConfig builds on) in its simplest
// form, on c10d collectives. The model is cut into units (the embeddings, each block, the
// LM head); each rank keeps 1/W of every unit as one flat fp32 shard (padded so W shards
// are equal), its gradient and, through the optimizer, its AdamW moments.
//
// - Before a unit's forward its shards are all-gathered, in param_dtype, into one flat
//   buffer that the unit's parameters are views of; after it the buffer's memory is freed
//   (the tensors autograd saved keep pointing at it) and the next unit's gather, issued
//   meanwhile, is waited for.
// - When the gradient of a unit's output arrives in backward the unit is gathered again
//   (and the one before it prefetched; not the embeddings, whose backward needs no weights); its
//   parameters' gradients accumulate into one flat buffer which, once the unit is done, is
//   reduce-scattered in reduce_dtype into the shards' gradients, summed over micro-batches.
// - hsdp: the state is sharded within a shard group and the shard gradients are summed
//   over the replica group (the same shard on the other groups) after the last micro-batch.
//
// Waiting on a collective makes the device wait, not the host, on NCCL; prefetching is the
// gather started one unit ahead.
#pragma once

#include <ATen/ATen.h>

#include <deque>
#include <functional>
#include <vector>

#include "model/transformer.hpp"

namespace ladder::dist {

class RankGroup;

// Where a unit's elements lie: parameter i of the unit is elements [offset, offset + numel)
// of its flat buffer, of which rank r holds [r * shard_numel, (r + 1) * shard_numel).
struct FlatUnit {
    std::vector<std::string> names;  // OLMo-core's parameter names
    std::vector<std::vector<int64_t>> shapes;
    std::vector<int64_t> offsets;
    int64_t numel = 0;        // without padding
    int64_t shard_numel = 0;  // ceil(numel / degree)
};

// The units of `model` (the embeddings, each block, the LM head), their parameters in the
// model's order, cut into `degree` shards.
std::vector<FlatUnit> flat_units(model::TransformerImpl& model, int64_t degree);

class FullySharded : public model::UnitHooks {
  public:
    // Shards `model`'s initialized parameters (on the CPU) over `shard_group` onto
    // `device`, so that no device ever holds the whole model; `replica_group` is null for
    // fsdp. The model's parameters then live on `device` and hold values only while their
    // unit is gathered. Both groups and the model must outlive this object.
    FullySharded(model::TransformerImpl& model, RankGroup& shard_group, RankGroup* replica_group,
                 at::ScalarType param_dtype, at::ScalarType reduce_dtype,
                 const c10::Device& device);
    ~FullySharded() override;

    // The fp32 shards, one per unit (the embeddings first): the optimizer's parameters.
    const std::vector<at::Tensor>& shards() const { return shards_; }
    const std::vector<FlatUnit>& units() const { return layout_; }
    int64_t degree() const;
    int64_t shard_rank() const;

    // Zeroes the shards' gradients; before a step's first micro-batch.
    void start_step();
    // After each micro-batch's backward: the last reduce-scatters are waited for and added.
    void finish_backward();
    // After the last micro-batch: hsdp sums the shard gradients over the replicas.
    void finish_step();
    // Global L2 norm of the gradients (0-dim): over the shards of the shard group.
    at::Tensor grad_norm() const;

    // Takes part in a forward pass's gathers without computing (a rank with no batch while
    // the others evaluate one).
    void skip_forward();

    void before_forward(int64_t unit) override;
    at::Tensor after_forward(int64_t unit, const at::Tensor& output) override;

  private:
    struct Unit;
    void gather(int64_t unit);
    void wait_gathered(int64_t unit);
    void reshard(int64_t unit);
    void before_backward(int64_t unit);
    void reduce(int64_t unit);
    void finish_reduce();  // the oldest reduce-scatter in flight: wait, add to its shard

    RankGroup& shard_group_;
    RankGroup* replica_group_;
    at::ScalarType param_dtype_, reduce_dtype_;
    std::vector<Unit> units_;
    std::vector<FlatUnit> layout_;
    std::vector<at::Tensor> shards_;
    std::deque<int64_t> in_flight_;  // units whose reduce-scatter was launched, oldest first
};

}  // namespace ladder::dist
