// Micro-batch, device mesh and global batch planning of the default ladder, checked
// against OLMo-core: olmo_core/model_ladder/transformer_model_configurator.py
// (configure_rank_microbatch_size, configure_minimal_device_mesh_spec),
// olmo_core/model_ladder/base.py (ModelLadder._configure_batch_size_and_num_devices) and
// olmo_core/model_ladder/wsds_chinchilla_run_configurator.py.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "ladder/batch_plan.hpp"
#include "ladder/run_plan.hpp"
#include "unit/config_with.hpp"

using ladder::classify_device;
using ladder::DeviceKind;
using ladder::plan_run;
using ladder::RunPlan;
using ladder::config::LadderConfig;
using ladder::config::load_config;
using ladder::config::Override;

namespace {

using ladder::test::config_with;
using ladder::test::Settings;

// x rounded to `digits` significant digits.
double round_significant(double x, int digits) {
    const double scale = std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(x))));
    return std::round(x * scale) / scale;
}

bool has_batch_warning(const RunPlan& plan) {
    for (const auto& warning : plan.warnings) {
        if (warning.find("Global batch size") != std::string::npos)
            return true;
    }
    return false;
}

// Step of the checkpoint called `name`, or -1.
int64_t checkpoint_step(const RunPlan& plan, const std::string& name) {
    for (const auto& checkpoint : plan.checkpoints) {
        if (checkpoint.name == name)
            return checkpoint.step;
    }
    return -1;
}

struct BatchRow {
    const char* size;
    int64_t n;  // non-embedding params
    int64_t target;
    int64_t microbatch;
    int64_t global_batch;
    int64_t instances;
    int64_t devices;
    int64_t grad_accum;
    double peak_lr;  // 5 significant digits
    double beta2;
    int64_t steps_1xc;
    int64_t steps_4xc;
    bool far_from_target;
};

// Derived from ModelLadder._configure_batch_size_and_num_devices and
// WSDSChinchillaRunConfigurator: H100, max_devices 64, seq 8192, default run configurator.
const std::vector<BatchRow> kDefaultLadder = {
    {"60M", 57422208, 215057, 16384, 262144, 32, 16, 1, 2.9008e-3, 0.99, 4381, 17524, true},
    {"100M", 101736960, 314886, 16384, 262144, 32, 16, 1, 2.3973e-3, 0.99, 7762, 31048, true},
    {"190M", 190354176, 478126, 65536, 524288, 64, 8, 1, 1.9455e-3, 0.95, 7261, 29046, false},
    {"370M", 371262464, 746371, 49152, 786432, 96, 16, 1, 1.5571e-3, 0.95, 9442, 37767, false},
    {"600M", 547964160, 967540, 40960, 983040, 120, 24, 1, 1.3676e-3, 0.95, 11148, 44593, false},
    {"760M", 758220288, 1201428, 40960, 1310720, 160, 32, 1, 1.2273e-3, 0.95, 11570, 46278, false},
    {"1B", 1279395840, 1702828, 32768, 1572864, 192, 48, 1, 1.0309e-3, 0.95, 16268, 65073, false},
    {"3B", 3169537280, 3117679, 16384, 3145728, 384, 64, 3, 7.6186e-4, 0.95, 20151, 80606, false},
    {"7B", 6887575552, 5230522, 8192, 5242880, 640, 64, 10, 5.8819e-4, 0.95, 26274, 105096, false},
    {"13B", 13202396160, 8071160, 8192, 8388608, 1024, 64, 16, 4.7351e-4, 0.95, 31477, 125908,
     false},
};

}  // namespace

TEST_CASE("default ladder: batch, devices, LR and duration of every size", "[batch_plan]") {
    const LadderConfig config = load_config(std::nullopt, {});
    for (const auto& row : kDefaultLadder) {
        INFO("size " << row.size);
        const RunPlan plan = plan_run(config, row.size);
        CHECK(plan.num_non_embedding_params == row.n);
        CHECK(plan.batch.target_batch_size == row.target);
        CHECK(plan.batch.rank_microbatch_size == row.microbatch);
        CHECK(plan.batch.global_batch_size == row.global_batch);
        CHECK(plan.batch.instances() == row.instances);
        CHECK(plan.batch.num_devices == row.devices);
        CHECK(plan.batch.dp_world_size == row.devices);
        CHECK(plan.batch.grad_accum_steps == row.grad_accum);
        CHECK(plan.batch.sequence_length == 8192);
        CHECK(round_significant(plan.optimizer.lr, 5) == Approx(row.peak_lr).epsilon(1e-12));
        CHECK(plan.optimizer.beta1 == Approx(0.9).epsilon(1e-12));
        CHECK(plan.optimizer.beta2 == Approx(row.beta2).epsilon(1e-12));
        CHECK(plan.optimizer.eps == Approx(1e-8).epsilon(1e-12));
        CHECK(plan.optimizer.weight_decay == Approx(0.1).epsilon(1e-12));
        // WSDSChinchillaRunConfigurator.configure_chinchilla_periods: one token per parameter.
        CHECK(plan.warmup_tokens == row.n);
        CHECK(checkpoint_step(plan, "period 2, 1xC post-decay") == row.steps_1xc);
        CHECK(checkpoint_step(plan, "period 4, 4xC post-decay") == row.steps_4xc);
        CHECK(plan.duration_steps == row.steps_4xc);
        CHECK(plan.duration_tokens == row.steps_4xc * row.global_batch);
        CHECK(plan.batch.far_from_target() == row.far_from_target);
        // _configure_batch_size_and_num_devices warns (> 10% off) for 60M and 100M only.
        CHECK(has_batch_warning(plan) == row.far_from_target);
    }
}

TEST_CASE("the 190M and 1B peak LRs to six digits", "[batch_plan]") {
    // OLMo-core's dry run of 190M and 1B (configure_optimizer: 0.0047 * (N / 108e6)^(-1/3) / 2).
    const LadderConfig config = load_config(std::nullopt, {});
    CHECK(plan_run(config, "190M").optimizer.lr == Approx(1.945457e-3).epsilon(1e-6));
    CHECK(plan_run(config, "1B").optimizer.lr == Approx(1.03088e-3).epsilon(1e-5));
}

TEST_CASE("lr_multiplier scales the peak LR", "[batch_plan]") {
    const RunPlan base = plan_run(load_config(std::nullopt, {}), "190M");
    const RunPlan half = plan_run(config_with({{"run.lr_multiplier", "0.5"}}), "190M");
    CHECK(half.optimizer.lr == Approx(base.optimizer.lr * 0.5).epsilon(1e-12));
}

TEST_CASE("parameter-count warning for sizes far from their name", "[batch_plan]") {
    // Olmo3ModelConfigurator.configure_model warns (> 5% off) for 600M, 1B and 3B only.
    const LadderConfig config = load_config(std::nullopt, {});
    for (const auto& row : kDefaultLadder) {
        INFO("size " << row.size);
        const RunPlan plan = plan_run(config, row.size);
        bool param_warning = false;
        for (const auto& warning : plan.warnings) {
            if (warning.find("differs from target of") != std::string::npos)
                param_warning = true;
        }
        const std::string size = row.size;
        CHECK(param_warning == (size == "600M" || size == "1B" || size == "3B"));
    }
}

TEST_CASE("B200 doubles the micro-batch", "[batch_plan]") {
    // configure_rank_microbatch_size: B200 x2.
    const LadderConfig h100 = load_config(std::nullopt, {});
    const LadderConfig b200 = config_with({{"device_type", "NVIDIA B200"}});
    for (const auto& row : kDefaultLadder) {
        INFO("size " << row.size);
        const RunPlan plan = plan_run(b200, row.size);
        CHECK(plan.batch.rank_microbatch_size == 2 * row.microbatch);
        CHECK(plan.batch.rank_microbatch_size ==
              2 * plan_run(h100, row.size).batch.rank_microbatch_size);
        CHECK(plan.batch.global_batch_size %
                  (plan.batch.rank_microbatch_size * plan.batch.dp_world_size) ==
              0);
    }
    CHECK(plan_run(b200, "190M").batch.rank_microbatch_size == 131072);
}

TEST_CASE("classify_device", "[batch_plan]") {
    const DeviceKind h100 = classify_device("NVIDIA H100 80GB HBM3");
    CHECK_FALSE(h100.is_cpu);
    CHECK(h100.microbatch_factor == Approx(1.0).epsilon(1e-12));
    CHECK(classify_device("NVIDIA B200").microbatch_factor == Approx(2.0).epsilon(1e-12));
    CHECK(classify_device("nvidia b200").microbatch_factor == Approx(2.0).epsilon(1e-12));
    CHECK(classify_device("NVIDIA A100-SXM4-40GB").microbatch_factor == Approx(0.5).epsilon(1e-12));
    CHECK(classify_device("NVIDIA A100 80GB").microbatch_factor == Approx(1.0).epsilon(1e-12));
    CHECK(classify_device("cpu").is_cpu);
    CHECK(classify_device("CPU").is_cpu);
}

TEST_CASE("classify_device: bf16 peaks for MFU", "[batch_plan]") {
    CHECK(classify_device("NVIDIA H100 80GB HBM3").peak_flops == Approx(989.5e12));
    CHECK(classify_device("NVIDIA H200").peak_flops == Approx(989.5e12));
    CHECK(classify_device("h100 pcie").peak_flops == Approx(756.5e12));
    CHECK(classify_device("NVIDIA A100 80GB").peak_flops == Approx(312e12));
    CHECK(classify_device("NVIDIA B200").peak_flops == Approx(2.25e15));
}

TEST_CASE("device_type cpu plans on one device", "[batch_plan]") {
    for (const char* size : {"60M", "190M", "1B", "3B", "13B"}) {
        // The minimal mesh on CPU is one process, whatever max_devices says.
        CHECK(ladder::minimal_num_devices(*ladder::parse_size_count(size), classify_device("cpu"),
                                          64) == 1);
    }
    const LadderConfig cpu = config_with({{"device_type", "cpu"}, {"max_devices", "1"}});
    for (const auto& row : kDefaultLadder) {
        INFO("size " << row.size);
        const RunPlan plan = plan_run(cpu, row.size);
        CHECK(plan.batch.num_devices == 1);
        CHECK(plan.batch.dp_world_size == 1);
        // Same micro-batch table as an H100; the accumulation takes the place of devices.
        CHECK(plan.batch.rank_microbatch_size == row.microbatch);
        CHECK(plan.batch.global_batch_size ==
              plan.batch.grad_accum_steps * plan.batch.rank_microbatch_size);
    }
    // 190M: round(478126 / 65536) = 7 micro-batches.
    const RunPlan plan = plan_run(cpu, "190M");
    CHECK(plan.batch.global_batch_size == 7 * 65536);
    CHECK(plan.batch.grad_accum_steps == 7);
}

TEST_CASE("shorter sequences plan every size in whole instances", "[batch_plan]") {
    for (const char* length : {"4096", "2048"}) {
        const LadderConfig config = config_with({{"sequence_length", length}});
        const int64_t seq = std::stoll(length);
        for (const auto& row : kDefaultLadder) {
            INFO("size " << row.size << ", sequence_length " << seq);
            RunPlan plan;
            REQUIRE_NOTHROW(plan = plan_run(config, row.size));
            CHECK(plan.batch.sequence_length == seq);
            CHECK(plan.batch.rank_microbatch_size % seq == 0);
            CHECK(plan.batch.rank_microbatch_instances() * seq == plan.batch.rank_microbatch_size);
            CHECK(plan.batch.rank_microbatch_instances() >= 1);
            CHECK(plan.batch.global_batch_size % seq == 0);
            // configure_rank_microbatch_size: tokens (multiples of 4096), whatever the seq len.
            CHECK(plan.batch.rank_microbatch_size == row.microbatch);
            CHECK(plan.batch.global_batch_size == plan.batch.grad_accum_steps *
                                                      plan.batch.rank_microbatch_size *
                                                      plan.batch.dp_world_size);
        }
    }
}

TEST_CASE("micro-batch rounds down to whole instances at long sequences", "[batch_plan]") {
    const DeviceKind h100 = classify_device("NVIDIA H100 80GB HBM3");
    // 10 x 4096 tokens at 8192: 5 instances; at 16384: 2 instances; never below one.
    CHECK(ladder::default_rank_microbatch_size(760e6, h100, 8192) == 40960);
    CHECK(ladder::default_rank_microbatch_size(760e6, h100, 16384) == 32768);
    CHECK(ladder::default_rank_microbatch_size(7e9, h100, 16384) == 16384);
    CHECK(ladder::default_rank_microbatch_size(100e6, h100, 3000) == 15000);
    const DeviceKind a100_40 = classify_device("NVIDIA A100-SXM4-40GB");
    CHECK(ladder::default_rank_microbatch_size(190e6, a100_40, 8192) == 32768);
}

TEST_CASE("minimal device mesh", "[batch_plan]") {
    // configure_minimal_device_mesh_spec: 8 GPUs below 13B, 32 from 13B up; up to 1B fits
    // fewer devices.
    const DeviceKind h100 = classify_device("NVIDIA H100 80GB HBM3");
    CHECK(ladder::minimal_num_devices(190e6, h100, 64) == 8);
    CHECK(ladder::minimal_num_devices(7e9, h100, 64) == 8);
    CHECK(ladder::minimal_num_devices(13e9, h100, 64) == 32);
    CHECK(ladder::minimal_num_devices(1e9, h100, 4) == 4);
    CHECK(ladder::minimal_num_devices(3e9, h100, 4) == 8);
}

TEST_CASE("plan_batch follows OLMo-core's rounding", "[batch_plan]") {
    // _configure_batch_size_and_num_devices for 3B: T 3,117,679, mbz 16,384, minimal mesh 8,
    // 64 devices.
    const ladder::BatchPlan plan = ladder::plan_batch(3117679, 16384, 8, 64, 8192);
    CHECK(plan.global_batch_size == 3145728);
    CHECK(plan.num_devices == 64);
    CHECK(plan.dp_world_size == 64);
    CHECK(plan.grad_accum_steps == 3);
    CHECK(plan.rank_microbatch_size == 16384);
    CHECK_FALSE(plan.far_from_target());

    // A target below one micro-batch shrinks the micro-batch to whole instances.
    const ladder::BatchPlan small = ladder::plan_batch(20000, 65536, 1, 1, 8192);
    CHECK(small.rank_microbatch_size == 16384);
    CHECK(small.global_batch_size == 16384);
    CHECK(small.grad_accum_steps == 1);
}

TEST_CASE("a batch spread over more ranks keeps its global batch and micro-batch", "[batch_plan]") {
    // 6 micro-batches of 2048 tokens per step on one device.
    const ladder::BatchPlan one = ladder::plan_batch(6 * 2048, 2048, 1, 1, 256);
    REQUIRE(one.global_batch_size == 6 * 2048);
    REQUIRE(one.grad_accum_steps == 6);
    for (int64_t devices : {1, 2, 3, 6}) {
        const auto spread = ladder::spread_over(one, devices);
        REQUIRE(spread);
        CHECK(spread->global_batch_size == one.global_batch_size);
        CHECK(spread->rank_microbatch_size == 2048);
        CHECK(spread->dp_world_size == devices);
        CHECK(spread->grad_accum_steps * devices == 6);
    }
    CHECK_FALSE(ladder::spread_over(one, 4));
    CHECK_FALSE(ladder::spread_over(one, 12));
}
