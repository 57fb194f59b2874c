// The memory plan: each term on a model small enough to count by hand, the blocks each
// activation checkpointing mode recomputes, and the layouts `auto` picks for the built-in
// ladder on 8 H100s.
#include <catch2/catch.hpp>

#include "ladder/memory_plan.hpp"
#include "ladder/run_plan.hpp"
#include "unit/config_with.hpp"

using namespace ladder;
using ladder::test::config_with;

namespace {

// d 64, 2 blocks, 4 heads of 16, SwiGLU 128, vocabulary 256, QK-norm.
// Parameters: embeddings 256*64 = 16,384; LM head 16,384 + 64 = 16,448; a block
// 4*64*64 + 2*64 (QK-norm) + 3*64*128 + 2*64 = 41,216; in all 115,264.
ModelSpec small_model() {
    ModelSpec m;
    m.family = "olmo3";
    m.d_model = 64;
    m.n_layers = 2;
    m.n_heads = 4;
    m.n_kv_heads = 4;
    m.head_dim = 16;
    m.hidden_size = 128;
    m.vocab_size = 256;
    return m;
}

// Micro-batches of 2 instances of 32 tokens (N = 64).
BatchPlan small_batch(int64_t devices) {
    BatchPlan b;
    b.sequence_length = 32;
    b.rank_microbatch_size = 64;
    b.global_batch_size = 64 * devices;
    b.num_devices = devices;
    b.dp_world_size = devices;
    b.grad_accum_steps = 1;
    return b;
}

config::ActivationCheckpointingConfig ac_mode(const std::string& mode) {
    config::ActivationCheckpointingConfig ac;
    ac.mode = mode;
    return ac;
}

constexpr int64_t kParams = 115264;
constexpr int64_t kGiB = int64_t{1} << 30;

}  // namespace

TEST_CASE("memory terms of a hand-counted model on one H100, ddp", "[memory]") {
    REQUIRE(small_model().num_params() == kParams);
    const DeviceKind h100 = classify_device("NVIDIA H100 80GB HBM3");
    CHECK(h100.memory_bytes == int64_t{81559} << 20);
    const MemoryTerms t = memory_terms(small_model(), small_batch(1), h100, {});
    CHECK(t.weights == 4 * kParams);
    CHECK(t.gradients == 4 * kParams);  // one rank: no reduction buckets
    CHECK(t.optimizer == 8 * kParams);
    CHECK(t.working_weights == 2 * (kParams - 16384));  // bf16 copies, not of the embeddings
    // Per block, N = 64 tokens: bf16 inputs of w_q, w_k, w_v 3*2*64*64 = 24,576; QK-norm's
    // bf16 inputs and 1/rms per row 2*64*(64+64) + 2*4*64 = 16,896; attention
    // 2*64*(2*64 + 2*64) + 4*64*4 = 33,792; block norms 2*(2*64*64 + 4*64) = 16,896; bf16
    // inputs of w1, w3 2*2*64*64 = 16,384; SwiGLU 4*2*64*128 = 65,536.
    const int64_t block = 24576 + 16896 + 33792 + 16896 + 16384 + 65536;
    CHECK(t.activations == 2 * block);
    CHECK(t.attention_masks == 0);
    // Final norm's fp32 input and 1/rms 4*64*64 + 4*64; the fused loss's gradients for the
    // hidden states 4*64*64 and the head 4*256*64; one block of logits (all 64 rows) in bf16
    // and fp32, and their gradient in the weight's dtype (fp32 under ddp): (2+4+4)*64*256.
    CHECK(t.logits == 16384 + 256 + 16384 + 65536 + (2 + 4 + 4) * 64 * 256);
    CHECK(t.allowance == kGiB + t.allocated() / 20);
    CHECK(t.total() == t.allocated() + t.allowance);

    SECTION("ddp over 4 ranks adds the reduction buckets' copy of the gradients") {
        CHECK(memory_terms(small_model(), small_batch(4), h100, {}).gradients == 8 * kParams);
    }
    SECTION("recomputing both blocks keeps their fp32 inputs, plus one block while it reruns") {
        const MemoryLayout full{"ddp", 1, "full", {true, true}};
        CHECK(memory_terms(small_model(), small_batch(1), h100, full).activations ==
              2 * 4 * 64 * 64 + block);
    }
    SECTION("sliding windows shorter than the sequence share one bf16 mask per size") {
        ModelSpec windowed = small_model();
        windowed.n_layers = 4;
        windowed.window_pattern = {16, 16, -1};
        CHECK(memory_terms(windowed, small_batch(1), h100, {}).attention_masks == 2 * 32 * 32);
        windowed.window_pattern = {64, -1};  // as long as the sequence: plain causal
        CHECK(memory_terms(windowed, small_batch(1), h100, {}).attention_masks == 0);
    }
}

TEST_CASE("memory terms with fsdp hold each unit's padded shard", "[memory]") {
    const DeviceKind h100 = classify_device("H100");
    const MemoryLayout fsdp{"fsdp", 4, "none", {}};
    const MemoryTerms t = memory_terms(small_model(), small_batch(4), h100, fsdp);
    // ceil(16,384/4) + 2*ceil(41,216/4) + ceil(16,448/4)
    const int64_t held = 4096 + 2 * 10304 + 4112;
    CHECK(t.weights == 4 * held);
    CHECK(t.gradients == 4 * held);
    CHECK(t.optimizer == 8 * held);
    // Two gathered units in bf16 and two unsharded fp32 gradients of the largest unit.
    CHECK(t.working_weights == (2 * 2 + 2 * 4) * 41216);
    // Weights gathered in bf16 make the residual stream bf16: each projection keeps the
    // stream itself, once (2*64*64 before attention and before SwiGLU).
    const int64_t block = 8192 + 16896 + 33792 + 16896 + 8192 + 65536;
    CHECK(t.activations == 2 * block);
    const MemoryLayout recomputed{"fsdp", 4, "full", {true, true}};
    CHECK(memory_terms(small_model(), small_batch(4), h100, recomputed).activations ==
          2 * 2 * 64 * 64 + block);
}

TEST_CASE("memory terms on the CPU are fp32 and unchecked", "[memory]") {
    const DeviceKind cpu = classify_device("cpu");
    CHECK(cpu.memory_bytes == 0);
    const MemoryTerms t = memory_terms(small_model(), small_batch(1), cpu, {});
    CHECK(t.working_weights == 0);
    // Per block: the linears' fp32 input once 4*64*64, QK-norm 4*64*128 + 2*4*64, attention
    // 4*64*(4*64) + 4*64*4, norms 2*(4*64*64 + 4*64), w1/w3 input 4*64*64, SwiGLU
    // 4*4*64*128.
    CHECK(t.activations == 2 * (16384 + 33280 + 66560 + 33280 + 16384 + 131072));
    // Final norm 4*64*64 + 4*64, w_out's input 4*64*64, logits and their gradient.
    CHECK(t.logits == 16384 + 256 + 16384 + 2 * 4 * 64 * 256);
    CHECK(t.allowance == 0);
    const MemoryPlan plan = plan_memory(small_model(), small_batch(1), cpu, ac_mode("auto"));
    CHECK(plan.fits);
    CHECK(plan.layout.data_parallel == "ddp");
    CHECK(plan.layout.activation_checkpointing == "none");
}

TEST_CASE("recomputed blocks of each activation checkpointing mode", "[memory]") {
    using Flags = std::vector<bool>;
    CHECK(recomputed_blocks(ac_mode("none"), 4, 0.1).empty());
    CHECK(recomputed_blocks(ac_mode("full"), 4, 0.1) == Flags(4, true));
    config::ActivationCheckpointingConfig selected = ac_mode("selected_blocks");
    selected.block_interval = 3;
    CHECK(recomputed_blocks(selected, 8, 0.1) ==
          Flags{true, false, false, true, false, false, true, false});
    config::ActivationCheckpointingConfig budget = ac_mode("budget");
    // Keeping half at r = 0.1: k + (10 - k) 0.1 <= 5 allows k = 4 whole blocks; the six
    // recomputed ones are spread out.
    budget.activation_memory_budget = 0.5;
    CHECK(recomputed_blocks(budget, 10, 0.1) ==
          Flags{false, true, false, true, true, false, true, false, true, true});
    budget.activation_memory_budget = 1.0;
    CHECK(recomputed_blocks(budget, 10, 0.1).empty());
    budget.activation_memory_budget = 0.0;
    CHECK(recomputed_blocks(budget, 10, 0.1) == Flags(10, true));
}

TEST_CASE("auto picks ddp, then sharding, then the fewest recomputed blocks", "[memory]") {
    const DeviceKind h100 = classify_device("H100");
    SECTION("a model that fits replicated") {
        const MemoryPlan plan = plan_memory(small_model(), small_batch(8), h100, ac_mode("auto"));
        CHECK(plan.fits);
        CHECK(plan.layout.data_parallel == "ddp");
        CHECK(plan.layout.recomputed.empty());
        CHECK(plan.advice.empty());
    }
    SECTION("the built-in ladder on 8 H100s, and 13B on 64") {
        const auto layout = [&](const std::string& size, const std::string& devices) {
            const config::LadderConfig config = config_with({{"max_devices", devices}});
            const RunPlan run = plan_run(config, size);
            return plan_memory(run.model, run.batch, h100, config.trainer.activation_checkpointing);
        };
        for (const std::string size : {"60M", "190M", "370M", "600M", "760M"}) {
            INFO(size);
            const MemoryPlan plan = layout(size, "8");
            CHECK((plan.fits && plan.layout.data_parallel == "ddp" &&
                   plan.layout.recomputed.empty()));
        }
        for (const std::string size : {"1B", "3B", "7B"}) {
            INFO(size);
            const MemoryPlan plan = layout(size, "8");
            CHECK((plan.fits && plan.layout.data_parallel == "fsdp" &&
                   plan.layout.recomputed.empty()));
            CHECK(plan.terms.total() <= h100.memory_bytes);
        }
        const MemoryPlan m13 = layout("13B", "64");
        CHECK(m13.fits);
        CHECK(m13.layout.data_parallel == "fsdp");
        CHECK(m13.layout.activation_checkpointing == "budget");
        CHECK(m13.layout.recomputed_count() == 3);
    }
    SECTION("a mode asked for is planned as asked, even on one device") {
        const MemoryPlan fsdp =
            plan_memory(small_model(), small_batch(1), h100, ac_mode("auto"), "fsdp");
        CHECK(fsdp.layout.data_parallel == "fsdp");
        CHECK(fsdp.layout.shard_degree == 1);
        const MemoryPlan hsdp =
            plan_memory(small_model(), small_batch(4), h100, ac_mode("auto"), "hsdp");
        CHECK(hsdp.layout.data_parallel == "hsdp");
        CHECK(hsdp.layout.shard_degree == 4);
    }
    SECTION("a fixed mode that does not fit says what would") {
        const config::LadderConfig config = config_with({{"max_devices", "8"}});
        const RunPlan run = plan_run(config, "7B");
        const MemoryPlan plan = plan_memory(run.model, run.batch, h100, ac_mode("none"), "ddp");
        CHECK_FALSE(plan.fits);
        CHECK(plan.layout.data_parallel == "ddp");
        CHECK(plan.advice.find("needs ") == 0);
        CHECK(plan.advice.find("activation_checkpointing.mode full") != std::string::npos);
    }
}
