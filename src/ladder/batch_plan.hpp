// Micro-batch, device mesh and global batch planning, extended with documented rules for
// device types and sequence lengths OLMo-core does not accept. From
// olmo_core/model_ladder/transformer_model_configurator.py (TransformerModelConfigurator.
// configure_rank_microbatch_size, configure_minimal_device_mesh_spec) and
// olmo_core/model_ladder/base.py (ModelLadder._configure_batch_size_and_num_devices).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ladder {

// What the planner needs to know about an accelerator type.
struct DeviceKind {
    bool is_cpu = false;
    // Scales the H100 micro-batch table: B200 2x (OLMo-core), 40 GB cards 0.5x, others 1x.
    double microbatch_factor = 1.0;
    // Dense bf16 peak FLOP/s for MFU, OLMo-core's table (half the sparse spec): H100 SXM
    // 989.5e12, NVL 835.5e12, PCIe 756.5e12, B200 2.25e15, any other GPU A100's 312e12;
    // 0 for the CPU, whose ceiling the trainer measures.
    double peak_flops = 0;
    // Memory of one device as nvidia-smi reports it (memory.total); 0 for the CPU, whose
    // memory the plan does not check.
    int64_t memory_bytes = 0;
    std::string name;  // "H100 80GB", "B200", "cpu", ... for messages
};

// Classifies a `device_type` string case-insensitively: "cpu" -> CPU; "b200" -> 2x;
// "40gb" (A100 40GB and the like) -> 0.5x; every other GPU (H100, H200, A100 80GB, ...) -> 1x.
// Memory: H100 81,559 MiB (NVL 95,830), H200 143,771, B200 183,359, A100 81,920 (40GB: 40,960);
// another GPU is taken for an 80 GB card.
DeviceKind classify_device(const std::string& device_type);

// Tokens per device per forward/backward from OLMo-core's table by approximate size
// (multiples of 4096 tokens), scaled by the device factor, then rounded down to whole
// instances of `sequence_length` (at least one).
int64_t default_rank_microbatch_size(double approx_params, const DeviceKind& device,
                                     int64_t sequence_length);

// The smallest mesh a size may train on: OLMo-core's 8 GPUs (32 from 13B up). Sizes up
// to 1B fit one GPU, so a ladder with max_devices below 8 plans them on max_devices;
// a CPU run needs one process.
int64_t minimal_num_devices(double approx_params, const DeviceKind& device, int64_t max_devices);

struct BatchPlan {
    int64_t target_batch_size = 0;     // tokens, from the run configurator
    int64_t global_batch_size = 0;     // tokens per optimizer step
    int64_t rank_microbatch_size = 0;  // tokens per device per forward/backward
    int64_t num_devices = 0;
    int64_t dp_world_size = 0;
    int64_t grad_accum_steps = 0;
    int64_t sequence_length = 0;

    int64_t instances() const { return global_batch_size / sequence_length; }
    int64_t rank_microbatch_instances() const { return rank_microbatch_size / sequence_length; }
    // |global - target| / target > 10%: OLMo-core warns about it.
    bool far_from_target() const;
};

// OLMo-core's `_configure_batch_size_and_num_devices`: rounds the target batch to whole
// micro-batches on the minimal mesh, widens data parallelism up to max_devices while
// there is gradient accumulation to spread, then rounds again. (Pure data parallelism:
// dp world size = devices.)
BatchPlan plan_batch(int64_t target_batch_size, int64_t rank_microbatch_size, int64_t min_devices,
                     int64_t max_devices, int64_t sequence_length);

// The same global batch and micro-batch spread over `devices` data-parallel ranks, with
// the gradient accumulation that makes up the rest; nullopt when the batch's micro-batches
// do not divide evenly among the ranks. The global batch, and so the steps and the LR
// schedule, never depend on how many ranks train it.
std::optional<BatchPlan> spread_over(const BatchPlan& plan, int64_t devices);

}  // namespace ladder
