// How much memory one rank of a run needs, term by term, and the cheapest way to make it
// fit the device: data parallelism (ddp, or weights, gradients and optimizer state sharded
// over the ranks with hsdp/fsdp) and activation checkpointing. `dry-run --show-memory`
// prints it; training takes its activation checkpointing from it.
//
// The terms count what this implementation keeps at the peak of a training step, the start
// of backward: the fp32 master state, the bf16 copies autocast makes of the weights, and
// per block the tensors autograd saves (see activations_per_block in memory_plan.cpp). On
// the CPU everything is fp32 and the host's memory is not checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"
#include "ladder/batch_plan.hpp"
#include "ladder/model_spec.hpp"

namespace ladder {

// Bytes per rank at the peak of a step.
struct MemoryTerms {
    int64_t weights = 0;          // fp32 parameters (this rank's shards when sharded)
    int64_t gradients = 0;        // fp32 gradients, plus ddp's reduction buckets
    int64_t optimizer = 0;        // AdamW's two fp32 moments
    int64_t working_weights = 0;  // bf16 copies for compute; gathered blocks when sharded
    int64_t activations = 0;      // kept for backward by the blocks, for one micro-batch
    int64_t attention_masks = 0;  // sliding-window masks, one per window size
    int64_t logits = 0;           // LM head and loss: logits, their gradient, fp32 chunks
    int64_t allowance = 0;        // CUDA context (1 GiB) and allocator fragmentation (5%)

    // Everything the caching allocator holds at the peak (what torch.cuda's
    // max_memory_allocated would show).
    int64_t allocated() const;
    int64_t total() const { return allocated() + allowance; }
};

// One way to train a rung: a data-parallel mode and the blocks it recomputes.
struct MemoryLayout {
    std::string data_parallel = "ddp";              // ddp | hsdp | fsdp
    int64_t shard_degree = 1;                       // ranks one copy of the state is spread over
    std::string activation_checkpointing = "none";  // none | full | selected_blocks | budget
    std::vector<bool> recomputed;                   // per block; empty for none
    int64_t recomputed_count() const;
};

struct MemoryPlan {
    MemoryLayout layout;
    MemoryTerms terms;
    std::string device;        // DeviceKind::name
    int64_t device_bytes = 0;  // 0: the CPU, not checked
    bool fits = true;
    bool auto_checkpointing = true;  // the recomputed blocks were chosen here
    // When it does not fit: what would (a smaller micro-batch, more devices).
    std::string advice;
};

// The blocks a mode recomputes. `kept_fraction`: the activation bytes a recomputed block
// keeps (its input) relative to one that keeps everything, which `budget` needs to count
// how many blocks fit in activation_memory_budget; recomputed blocks are spread evenly.
std::vector<bool> recomputed_blocks(const config::ActivationCheckpointingConfig& ac,
                                    int64_t n_layers, double kept_fraction);

// The memory of one rank training `model` with `batch` on `device` in `layout`.
MemoryTerms memory_terms(const ModelSpec& model, const BatchPlan& batch, const DeviceKind& device,
                         const MemoryLayout& layout);

// Picks the layout: the configured activation checkpointing, or with mode auto the fewest
// recomputed blocks that fit; `data_parallel` ddp, hsdp or fsdp, or with auto ddp when it
// fits, else hsdp (shards within groups of `hsdp_degree` devices, 0: a node of 8, when
// the run spans several), else fsdp. On the CPU: ddp and the configured mode (auto: none).
MemoryPlan plan_memory(const ModelSpec& model, const BatchPlan& batch, const DeviceKind& device,
                       const config::ActivationCheckpointingConfig& ac,
                       const std::string& data_parallel = "auto", int64_t hsdp_degree = 0);

}  // namespace ladder
