#include "ladder/memory_plan.hpp"

#include <algorithm>
#include <cmath>

#include "model/loss_chunk.hpp"
#include "util/format.hpp"

namespace ladder {

namespace {

constexpr int64_t kGiB = int64_t{1} << 30;
// Devices per node: hsdp shards within one, replicates across them.
constexpr int64_t kNodeDevices = 8;

// Parameter counts of what sharding handles as one unit (a flat shard each): the
// embeddings, each block, the LM head.
struct Units {
    int64_t embeddings = 0, block = 0, lm_head = 0, blocks = 0;
    int64_t largest() const { return std::max({embeddings, block, lm_head}); }
};

Units units_of(const ModelSpec& m) {
    Units u;
    u.embeddings = m.vocab_size * m.d_model;
    u.lm_head = m.vocab_size * m.d_model + m.d_model;  // w_out and the final norm
    u.blocks = m.n_layers;
    u.block = (m.num_params() - u.embeddings - u.lm_head) / m.n_layers;
    return u;
}

int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

// Parameters one rank holds: all of them, or each unit's padded 1/degree shard.
int64_t held_params(const Units& u, int64_t degree) {
    return ceil_div(u.embeddings, degree) + u.blocks * ceil_div(u.block, degree) +
           ceil_div(u.lm_head, degree);
}

// Bytes autograd keeps for one block's backward over `n` tokens, by what each op saves in
// this model (transformer.cpp): on CUDA under bf16 autocast,
//   - a bf16 copy of the block's fp32 input for each of w_q, w_k, w_v (autocast casts
//     activations anew at every use) and of the post-attention stream for w1 and w3;
//   - QK-norm and the two block norms: their input and an fp32 1/rms per row
//     (model/rms_norm.hpp);
//   - attention: q, k, v (key/value heads repeated for the query heads they serve) and the
//     output in bf16, and the fp32 log-sum-exp per head (flash and memory-efficient
//     kernels keep O(T) per head, never the T x T scores);
//   - SwiGLU: w1's and w3's outputs, silu's output and the product, in bf16.
// The fp32 residual stream itself is not kept: additions need no saved inputs. Sharded on
// CUDA, weights are gathered in bf16, so the residual stream is bf16 and each projection
// keeps the stream itself, once. On the CPU all is fp32 and each linear layer keeps its
// input once.
int64_t activations_per_block(const ModelSpec& m, int64_t n, bool cuda, bool bf16_stream) {
    const int64_t e = cuda ? 2 : 4;
    const int64_t d = m.d_model, dq = m.n_heads * m.head_dim, dk = m.n_kv_heads * m.head_dim;
    const int64_t dkv_kept = cuda && m.n_heads > m.n_kv_heads ? dq : dk;
    const int64_t copies = cuda && !bf16_stream;  // autocast's casts of an fp32 stream
    const int64_t attention_inputs = (copies ? 3 : 1) * e * n * d;
    const int64_t qk_norm = m.qk_norm ? e * n * (dq + dk) + 2 * 4 * n : 0;
    const int64_t attention = e * n * (2 * dq + 2 * dkv_kept) + 4 * n * m.n_heads;
    const int64_t norms = 2 * (e * n * d + 4 * n);
    const int64_t feed_forward_inputs = (copies ? 2 : 1) * e * n * d;
    const int64_t feed_forward = 4 * e * n * m.hidden_size;
    return attention_inputs + qk_norm + attention + norms + feed_forward_inputs + feed_forward;
}

// What a recomputed block keeps: its input, of the residual stream's dtype.
int64_t checkpoint_per_block(const ModelSpec& m, int64_t n, bool bf16_stream) {
    return (bf16_stream ? 2 : 4) * n * m.d_model;
}

// Sharded on CUDA, weights are gathered (and compute runs) in bf16.
bool bf16_stream(const DeviceKind& device, const MemoryLayout& layout) {
    return !device.is_cpu && layout.data_parallel != "ddp";
}

// The LM head and loss at the start of backward. On GPUs (model/output_loss.hpp): the final
// norm's input (the residual stream) and 1/rms per row, the gradients the fused loss computed
// in forward for the hidden states ([N, d] fp32) and the head's weight ([V, d] fp32), and
// one block of rows' logits (bf16 and fp32) and their gradient in the weight's dtype. On the
// CPU (model/loss.hpp): the norm's input and 1/rms, w_out's input, the fp32 logits and their
// gradient.
int64_t logits_bytes(const ModelSpec& m, int64_t n, bool cuda, bool bf16_stream) {
    const int64_t d = m.d_model, v = m.vocab_size;
    const int64_t norm = (bf16_stream ? 2 : 4) * n * d + 4 * n;
    if (!cuda)
        return norm + 4 * n * d + 2 * 4 * n * v;
    const int64_t block = std::min(model::kLossChunkElements, n * v);
    return norm + 4 * n * d + 4 * v * d + (2 + 4 + (bf16_stream ? 2 : 4)) * block;
}

// Sliding-window layers share one additive [T, T] mask per window size, in the compute
// dtype, on GPUs (the attention kernel reads it); ladder's CPU kernel needs none.
int64_t masks_bytes(const ModelSpec& m, int64_t sequence_length, bool cuda) {
    if (!cuda)
        return 0;
    std::vector<int64_t> windows;
    for (int64_t layer = 0; layer < m.n_layers; ++layer) {
        const int64_t w = m.window(layer);
        if (w > 0 && w < sequence_length &&
            std::find(windows.begin(), windows.end(), w) == windows.end())
            windows.push_back(w);
    }
    return static_cast<int64_t>(windows.size()) * 2 * sequence_length * sequence_length;
}

// Recompute `count` of `n_layers` blocks, spread evenly.
std::vector<bool> spread(int64_t count, int64_t n_layers) {
    if (count <= 0)
        return {};
    std::vector<bool> recomputed(n_layers);
    for (int64_t i = 0; i < n_layers; ++i)
        recomputed[i] = (i + 1) * count / n_layers > i * count / n_layers;
    return recomputed;
}

}  // namespace

int64_t MemoryTerms::allocated() const {
    return weights + gradients + optimizer + working_weights + activations + attention_masks +
           logits;
}

int64_t MemoryLayout::recomputed_count() const {
    return std::count(recomputed.begin(), recomputed.end(), true);
}

std::vector<bool> recomputed_blocks(const config::ActivationCheckpointingConfig& ac,
                                    int64_t n_layers, double kept_fraction) {
    if (ac.mode == "full")
        return std::vector<bool>(n_layers, true);
    if (ac.mode == "selected_blocks") {
        // OLMo-core's Transformer.apply_activation_checkpointing wraps blocks whose index is
        // a multiple of block_interval.
        std::vector<bool> recomputed(n_layers);
        for (int64_t i = 0; i < n_layers; ++i)
            recomputed[i] = i % *ac.block_interval == 0;
        return recomputed;
    }
    if (ac.mode == "budget") {
        // k kept blocks and n - k recomputed ones hold k + (n - k) r block-loads of
        // activations; the budget allows b n of them.
        const double b = *ac.activation_memory_budget, r = kept_fraction;
        const double kept = n_layers * (b - r) / (1 - r);
        const auto k =
            static_cast<int64_t>(std::floor(std::clamp(kept, 0.0, double(n_layers)) + 1e-9));
        return spread(n_layers - k, n_layers);
    }
    return {};
}

MemoryTerms memory_terms(const ModelSpec& model, const BatchPlan& batch, const DeviceKind& device,
                         const MemoryLayout& layout) {
    const bool cuda = !device.is_cpu;
    const Units units = units_of(model);
    const int64_t n = batch.rank_microbatch_size;
    MemoryTerms t;
    const int64_t held = held_params(units, layout.shard_degree);
    t.weights = 4 * held;
    t.gradients = 4 * held;
    t.optimizer = 8 * held;
    if (layout.data_parallel == "ddp") {
        // GradientReducer's buckets hold a second fp32 copy of all gradients.
        if (batch.num_devices > 1)
            t.gradients += 4 * held;
        // Autocast's bf16 copy of every linear weight lives until backward has used it.
        if (cuda)
            t.working_weights = 2 * (model.num_params() - units.embeddings);
    } else {
        // The unit computing and the one prefetched, gathered in the compute dtype, and the
        // full-size fp32 gradients of two units waiting for their reduce-scatter.
        t.working_weights = (2 * (cuda ? 2 : 4) + 2 * 4) * units.largest();
    }
    const bool bf16 = bf16_stream(device, layout);
    const int64_t full = activations_per_block(model, n, cuda, bf16);
    const int64_t kept = checkpoint_per_block(model, n, bf16);
    const int64_t recomputed = layout.recomputed_count();
    // A recomputed block's activations exist again, one block at a time, during backward.
    t.activations =
        (model.n_layers - recomputed) * full + recomputed * kept + (recomputed > 0 ? full : 0);
    t.attention_masks = masks_bytes(model, batch.sequence_length, cuda);
    t.logits = logits_bytes(model, n, cuda, bf16);
    if (cuda)
        t.allowance = kGiB + t.allocated() / 20;
    return t;
}

MemoryPlan plan_memory(const ModelSpec& model, const BatchPlan& batch, const DeviceKind& device,
                       const config::ActivationCheckpointingConfig& ac,
                       const std::string& data_parallel, int64_t hsdp_degree) {
    MemoryPlan plan;
    plan.device = device.name;
    plan.device_bytes = device.memory_bytes;
    plan.auto_checkpointing = ac.mode == "auto";
    const int64_t n = batch.rank_microbatch_size;
    // Budget mode weighs a recomputed block against a whole one as ddp keeps them.
    const double kept_fraction = static_cast<double>(checkpoint_per_block(model, n, false)) /
                                 activations_per_block(model, n, !device.is_cpu, false);
    // Cheapest first: replicated, then sharded within a node, then over every rank.
    std::vector<MemoryLayout> modes;
    const int64_t world = batch.num_devices;
    const auto allowed = [&](const char* mode) {
        return data_parallel == "auto" || data_parallel == mode;
    };
    if (allowed("ddp"))
        modes.push_back({"ddp", 1, "none", {}});
    // Chosen by auto only where they shard; asked for, they are what the run will do.
    const int64_t group = hsdp_degree > 0 ? hsdp_degree : kNodeDevices;
    if (allowed("hsdp") && ((world > group && world % group == 0) || data_parallel == "hsdp"))
        modes.push_back({"hsdp", std::min(world, group), "none", {}});
    if (allowed("fsdp") && (world > 1 || data_parallel == "fsdp"))
        modes.push_back({"fsdp", world, "none", {}});

    // Recomputing costs a block's forward again; sharding costs communication that overlaps
    // compute. So every sharding mode is tried before each further recomputed block.
    std::vector<std::pair<std::string, std::vector<bool>>> checkpointing;
    if (ac.mode != "auto") {
        checkpointing.push_back({ac.mode, recomputed_blocks(ac, model.n_layers, kept_fraction)});
    } else {
        for (int64_t count = 0; count <= (device.is_cpu ? 0 : model.n_layers); ++count) {
            const std::string mode = count == 0                ? "none"
                                     : count == model.n_layers ? "full"
                                                               : "budget";
            checkpointing.push_back({mode, spread(count, model.n_layers)});
        }
    }
    const auto try_layout = [&](MemoryLayout layout, const std::string& mode,
                                const std::vector<bool>& recomputed) {
        layout.activation_checkpointing = mode;
        layout.recomputed = recomputed;
        plan.layout = layout;
        plan.terms = memory_terms(model, batch, device, layout);
        plan.fits = device.is_cpu || plan.terms.total() <= device.memory_bytes;
        return plan.fits;
    };
    for (const auto& [mode, recomputed] : checkpointing) {
        for (const MemoryLayout& layout : modes) {
            if (try_layout(layout, mode, recomputed))
                return plan;
        }
    }
    // Nothing fits: report the layout that needs least, and what would make it fit.
    const auto& [mode, recomputed] = checkpointing.back();
    try_layout(modes.back(), mode, recomputed);
    const int64_t needed = plan.terms.total();
    std::string advice =
        "needs " + format_gib(needed) + " per device of " + format_gib(device.memory_bytes);
    // What would fit, cheapest first: recomputing every block (when a mode was set),
    // smaller micro-batches, then more devices.
    if (ac.mode != "auto" && ac.mode != "full")
        advice += "; activation_checkpointing.mode full would recompute more";
    bool smaller_fits = false;
    for (int64_t instances = batch.rank_microbatch_instances() - 1; instances >= 1; --instances) {
        BatchPlan smaller = batch;
        smaller.rank_microbatch_size = instances * batch.sequence_length;
        if (memory_terms(model, smaller, device, plan.layout).total() <= device.memory_bytes) {
            advice += "; it fits with model.rank_microbatch_size " +
                      with_commas(smaller.rank_microbatch_size) + " (" + std::to_string(instances) +
                      " instance" + (instances > 1 ? "s" : "") + ")";
            smaller_fits = true;
            break;
        }
    }
    for (int64_t devices = std::max<int64_t>(2, world * 2); !smaller_fits && devices <= (1 << 16);
         devices *= 2) {
        BatchPlan wider = batch;
        wider.num_devices = devices;
        wider.rank_microbatch_size = batch.sequence_length;
        const MemoryLayout layout{"fsdp", devices, mode, recomputed};
        if (memory_terms(model, wider, device, layout).total() <= device.memory_bytes) {
            advice += "; with one instance per micro-batch it fits with fsdp over " +
                      std::to_string(devices) + " devices (max_devices)";
            break;
        }
    }
    plan.advice = advice;
    return plan;
}

}  // namespace ladder
