// LR schedules: OLMo-core's WSD-S (olmo_core/optim/scheduler.py, WSDS.get_lr) as
// WSDSChinchillaRunConfigurator plans it for the default ladder
// and Levanter's cyclic schedule (levanter_schedule spec, section 7 worked examples).
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "config/fields.hpp"
#include "config/load.hpp"
#include "ladder/run_plan.hpp"
#include "optim/levanter_schedule.hpp"
#include "optim/wsds_schedule.hpp"
#include "unit/config_with.hpp"
#include "util/error.hpp"

using ladder::plan_run;
using ladder::RunPlan;
using ladder::config::ConfigError;
using ladder::config::LadderConfig;
using ladder::config::load_config;
using ladder::config::Override;
using ladder::optim::LevanterCycle;
using ladder::optim::LevanterSchedule;
using ladder::optim::WsdsSchedule;

namespace {

using ladder::test::config_with;
using ladder::test::Settings;

RunPlan wsds_plan(const std::string& size, bool stepped = false) {
    return plan_run(config_with(stepped ? Settings{{"run.stepped_schedule", "true"}} : Settings{}),
                    size);
}

// A Levanter run of 1000 steps at lr 1e-3 on one CPU process (8 instances of 1024 tokens
// per step); `extra` sets or replaces schedule keys.
LadderConfig levanter_config(const Settings& extra) {
    Settings settings = {{"sequence_length", "1024"},
                         {"device_type", "cpu"},
                         {"max_devices", "1"},
                         {"run.type", "levanter"},
                         {"run.learning_rate", "1e-3"},
                         {"run.global_batch_size", "8192"},
                         {"run.num_train_steps", "1000"},
                         {"run.warmup", "0.1"},
                         {"run.lr_schedule", "cosine"}};
    settings.insert(settings.end(), extra.begin(), extra.end());
    return config_with(settings);
}

RunPlan levanter_plan(const Settings& extra) {
    return plan_run(levanter_config(extra), "190M");
}

const LevanterSchedule& levanter_of(const RunPlan& plan) {
    const auto* steps =
        dynamic_cast<const ladder::optim::LevanterStepSchedule*>(plan.schedule.get());
    REQUIRE(steps);
    return steps->by_count();
}

const WsdsSchedule& wsds_of(const RunPlan& plan) {
    const auto* steps = dynamic_cast<const ladder::optim::WsdsStepSchedule*>(plan.schedule.get());
    REQUIRE(steps);
    return steps->by_tokens();
}

// LR of the Levanter update with 0-based count `t` (optimizer step t + 1).
double lr_at_count(const RunPlan& plan, int64_t t) {
    return plan.lr_at_step(t + 1);
}

std::vector<int64_t> cycle_starts(const RunPlan& plan) {
    std::vector<int64_t> starts;
    for (const auto& cycle : levanter_of(plan).cycles)
        starts.push_back(cycle.start);
    return starts;
}

std::vector<int64_t> cycle_lengths(const RunPlan& plan) {
    std::vector<int64_t> lengths;
    for (const auto& cycle : levanter_of(plan).cycles)
        lengths.push_back(cycle.length);
    return lengths;
}

// The message of the ConfigError that `f` throws (also checked to be a UsageError).
template <class F>
std::string config_error_of(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        const ladder::UsageError& usage = e;
        return usage.what();
    } catch (const std::exception& e) {
        FAIL("expected a ConfigError, got: " << e.what());
    }
    FAIL("expected a ConfigError");
    return "";
}

void check_cycle(const LevanterCycle& cycle, int64_t start, int64_t length, int64_t warmup,
                 int64_t stable, int64_t decay, double warmup_from) {
    CHECK(cycle.start == start);
    CHECK(cycle.length == length);
    CHECK(cycle.warmup == warmup);
    CHECK(cycle.stable == stable);
    CHECK(cycle.decay == decay);
    CHECK(cycle.warmup_from == Approx(warmup_from).epsilon(1e-12).margin(1e-15));
}

constexpr double kPeak190M = 0.00194545703744203;

}  // namespace

// ---------------------------------------------------------------------------------------
// WSD-S

TEST_CASE("WSD-S 190M test vectors, non-stepped", "[schedule]") {
    // WSDS.get_lr for 190M, M=4, B=524,288, peak 1.945457e-3.
    const RunPlan plan = wsds_plan("190M");
    REQUIRE(plan.batch.global_batch_size == 524288);
    CHECK(plan.optimizer.lr == Approx(1.945457e-3).epsilon(1e-6));
    const double peak = plan.optimizer.lr;
    CHECK(plan.lr_at_step(1) == Approx(5.358326e-6).epsilon(1e-6));
    CHECK(plan.lr_at_step(100) == Approx(5.358326e-4).epsilon(1e-6));
    CHECK(plan.lr_at_step(363) == Approx(1.945072e-3).epsilon(1e-6));
    CHECK(plan.lr_at_step(364) == Approx(peak).epsilon(1e-12));
    CHECK(plan.lr_at_step(3267) == Approx(peak).epsilon(1e-12));
    CHECK(plan.lr_at_step(3268) == Approx(1.944921e-3).epsilon(1e-6));
    CHECK(plan.lr_at_step(3630) == Approx(5.35791e-6).epsilon(1e-6));
    CHECK(plan.lr_at_step(3631) == 0.0);
    CHECK(plan.lr_at_step(3632) == Approx(peak).epsilon(1e-12));
    CHECK(plan.lr_at_step(7261) == 0.0);
    CHECK(plan.lr_at_step(29046) == 0.0);
}

TEST_CASE("WSD-S 190M test vectors, stepped", "[schedule]") {
    // configure_lr_scheduler (stepped): period multipliers 1/sqrt(c) = [1.4142, 1, 0.7071, 0.5].
    const RunPlan plan = wsds_plan("190M", true);
    CHECK(plan.lr_at_step(364) == Approx(2.751292e-3).epsilon(1e-6));
    CHECK(plan.lr_at_step(7262) == Approx(1.375646e-3).epsilon(1e-6));
    const WsdsSchedule& schedule = wsds_of(plan);
    REQUIRE(schedule.period_multipliers.size() == 4);
    CHECK(schedule.period_multipliers[0] == Approx(std::sqrt(2.0)).epsilon(1e-12));
    CHECK(schedule.period_multipliers[1] == Approx(1.0).epsilon(1e-12));
    CHECK(schedule.period_multipliers[2] == Approx(1 / std::sqrt(2.0)).epsilon(1e-12));
    CHECK(schedule.period_multipliers[3] == Approx(0.5).epsilon(1e-12));
    // Warmup ramps to the first period's raised peak.
    CHECK(plan.lr_at_step(1) == Approx(5.358326e-6 * std::sqrt(2.0)).epsilon(1e-6));
    // Right after each period end: the next period's own peak, no re-warmup.
    CHECK(plan.lr_at_step(3631) == 0.0);
    CHECK(plan.lr_at_step(3632) == Approx(kPeak190M).epsilon(1e-6));
    CHECK(plan.lr_at_step(7261) == 0.0);
    CHECK(plan.lr_at_step(14523) == 0.0);
    CHECK(plan.lr_at_step(14524) == Approx(kPeak190M / 2).epsilon(1e-6));
    CHECK(plan.lr_at_step(29046) == 0.0);
}

TEST_CASE("WSD-S 190M: warmup, stable and decay of every period", "[schedule]") {
    // Values derived from WSDS.get_lr (tokens = step * 524,288, warmup 190,354,176).
    const RunPlan plan = wsds_plan("190M");
    const double peak = plan.optimizer.lr;
    // Warmup is linear in tokens.
    CHECK(plan.lr_at_step(200) == Approx(peak * 200 * 524288 / 190354176.0).epsilon(1e-9));
    // Stable phases.
    for (int64_t step :
         {364, 1000, 3267, 3632, 5000, 6898, 7262, 10000, 13796, 14524, 20000, 27593}) {
        INFO("step " << step);
        CHECK(plan.lr_at_step(step) == Approx(peak).epsilon(1e-12));
    }
    // Decays.
    CHECK(plan.lr_at_step(3400) == Approx(1.2376771555410975e-3).epsilon(1e-6));
    CHECK(plan.lr_at_step(6899) == Approx(1.9400976516639526e-3).epsilon(1e-6));
    CHECK(plan.lr_at_step(7000) == Approx(1.3987996880781537e-3).epsilon(1e-6));
    CHECK(plan.lr_at_step(13797) == Approx(1.944921244421725e-3).epsilon(1e-6));
    CHECK(plan.lr_at_step(27594) == Approx(1.9450551675616518e-3).epsilon(1e-6));
    CHECK(plan.lr_at_step(28000) == Approx(1.4011898796621816e-3).epsilon(1e-6));
    CHECK(plan.lr_at_step(29045) == Approx(1.3395696746292368e-6).epsilon(1e-6));
    // Period ends reach exactly zero; the next step is back at the peak.
    CHECK(plan.lr_at_step(14523) == 0.0);
    CHECK(plan.lr_at_step(14524) == Approx(peak).epsilon(1e-12));
    // Past the end of the schedule.
    CHECK(plan.lr_at_step(29047) == 0.0);
    CHECK(plan.lr_at_step(40000) == 0.0);
}

TEST_CASE("WSD-S period lengths and decays", "[schedule]") {
    // configure_lr_scheduler: period lengths in tokens; decays D_i = round(0.1 * L_i).
    const RunPlan small = wsds_plan("190M");
    const WsdsSchedule& s = wsds_of(small);
    CHECK(s.warmup == Approx(190354176.0).epsilon(1e-15));
    CHECK(s.period_lengths ==
          std::vector<double>{1903689728.0, 1903165440.0, 3807379456.0, 7614234624.0});
    CHECK(s.decays == std::vector<double>{190368973.0, 190316544.0, 380737946.0, 761423462.0});
    CHECK(small.duration_tokens == 15228469248);
    CHECK(small.duration_steps == 29046);

    const RunPlan large = wsds_plan("1B");
    const WsdsSchedule& b = wsds_of(large);
    CHECK(b.period_lengths ==
          std::vector<double>{12793675776.0, 12793675776.0, 25588924416.0, 51174703104.0});
    CHECK(b.warmup == Approx(1279395840.0).epsilon(1e-15));
}

TEST_CASE("WSD-S checkpoint steps and names", "[schedule]") {
    // configure_checkpoint_intervals: pre/post-decay steps per period, M=4, 64 H100s.
    const std::vector<std::string> names = {
        "period 1, 0.5xC pre-decay", "period 1, 0.5xC post-decay", "period 2, 1xC pre-decay",
        "period 2, 1xC post-decay",  "period 3, 2xC pre-decay",    "period 3, 2xC post-decay",
        "period 4, 4xC pre-decay",   "period 4, 4xC post-decay"};
    const std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
        {"190M", {3267, 3631, 6898, 7261, 13796, 14523, 27593, 29046}},
        {"1B", {7320, 8134, 15454, 16268, 30910, 32537, 61819, 65073}},
    };
    for (const auto& [size, steps] : expected) {
        INFO("size " << size);
        const RunPlan plan = wsds_plan(size);
        REQUIRE(plan.checkpoints.size() == steps.size());
        for (size_t i = 0; i < steps.size(); ++i) {
            INFO("checkpoint " << i);
            CHECK(plan.checkpoints[i].step == steps[i]);
            CHECK(plan.checkpoints[i].name == names[i]);
            CHECK(plan.checkpoints[i].tokens == steps[i] * plan.batch.global_batch_size);
        }
    }
}

TEST_CASE("WSD-S period marks and schedule title", "[schedule]") {
    const RunPlan plan = wsds_plan("190M");
    REQUIRE(plan.period_marks.size() == 4);
    const std::vector<std::string> labels = {"0.5xC", "1xC", "2xC", "4xC"};
    const std::vector<int64_t> tokens = {1903689728, 3806855168, 7614234624, 15228469248};
    for (size_t i = 0; i < 4; ++i) {
        CHECK(plan.period_marks[i].label == labels[i]);
        CHECK(plan.period_marks[i].tokens == tokens[i]);
    }
    CHECK(plan.schedule_title == "Learning rate schedule for a 190.4M model out to 4.0xC");
}

TEST_CASE("WSD-S: checkpoints are dropped with trainer.no_checkpoints", "[schedule]") {
    CHECK(plan_run(config_with({{"trainer.no_checkpoints", "true"}}), "190M").checkpoints.empty());
}

TEST_CASE("WsdsSchedule::make validates warmup and decays", "[schedule]") {
    // WSDS.__post_init__: W + D_0 <= L_0 and D_i <= L_i.
    CHECK_NOTHROW(WsdsSchedule::make(1.0, 90, {100, 100}, {}, 0.1));
    CHECK_THROWS_AS(WsdsSchedule::make(1.0, 91, {100, 100}, {}, 0.1), std::invalid_argument);
    const WsdsSchedule s = WsdsSchedule::make(1.0, 10, {100, 100}, {}, 0.1);
    CHECK(s.period_multipliers == std::vector<double>{1.0, 1.0});
    CHECK(s.lr(5) == Approx(0.5).epsilon(1e-12));
    CHECK(s.lr(10) == Approx(1.0).epsilon(1e-12));
    CHECK(s.lr(90) == Approx(1.0).epsilon(1e-12));
    CHECK(s.lr(95) == Approx(0.5).epsilon(1e-12));
    CHECK(s.lr(100) == 0.0);
    CHECK(s.lr(101) == Approx(1.0).epsilon(1e-12));
    CHECK(s.lr(195) == Approx(0.5).epsilon(1e-12));
    CHECK(s.lr(200) == 0.0);
    CHECK(s.lr(250) == 0.0);
}

TEST_CASE("WSD-S that does not fit is a ConfigError", "[schedule]") {
    // 1 token per parameter: the first period (0.5 tokens/param) is shorter than the warmup.
    const std::string message = config_error_of([] {
        plan_run(config_with({{"run.tokens_per_param", "1"}}), "190M");
    });
    CHECK(message.find("does not fit") != std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Levanter

TEST_CASE("Levanter plan: batch, optimizer and duration", "[schedule]") {
    const RunPlan plan = levanter_plan({});
    CHECK(plan.batch.global_batch_size == 8192);
    CHECK(plan.batch.num_devices == 1);
    CHECK(plan.batch.sequence_length == 1024);
    CHECK(plan.optimizer.lr == Approx(1e-3).epsilon(1e-12));
    CHECK(plan.optimizer.beta2 == Approx(0.95).epsilon(1e-12));
    CHECK(plan.duration_steps == 1000);
    CHECK(plan.duration_tokens == 1000 * 8192);
    CHECK(plan.warmup_tokens == 100 * 8192);
}

TEST_CASE("fraction_or_steps truncates like Python int()", "[schedule]") {
    using ladder::optim::fraction_or_steps;
    CHECK(fraction_or_steps(0.29, 100) == 28);
    CHECK(fraction_or_steps(0.57, 100) == 56);
    CHECK(fraction_or_steps(0.03, 861) == 25);
    CHECK(fraction_or_steps(0.1, 1000) == 100);
    CHECK(fraction_or_steps(0.05, 500) == 25);
    CHECK(fraction_or_steps(1.0, 700) == 700);
    CHECK(fraction_or_steps(0.0, 700) == 0);
    CHECK(fraction_or_steps(50, 700) == 50);
}

TEST_CASE("Levanter example 1: single cycle, cosine", "[schedule]") {
    // Worked example 1 of Levanter's schedule (src/levanter/optim/config.py,
    // OptimizerConfig.lr_scheduler): W=100, D=900, min_lr 1e-4.
    const RunPlan plan = levanter_plan({});
    const LevanterSchedule& s = levanter_of(plan);
    CHECK(s.min_lr == Approx(1e-4).epsilon(1e-12));
    REQUIRE(s.cycles.size() == 1);
    check_cycle(s.cycles[0], 0, 1000, 100, 0, 900, 0.0);

    CHECK(lr_at_count(plan, 0) == 0.0);
    CHECK(lr_at_count(plan, 1) == Approx(1e-5).epsilon(1e-9));
    CHECK(lr_at_count(plan, 50) == Approx(5e-4).epsilon(1e-9));
    CHECK(lr_at_count(plan, 99) == Approx(9.9e-4).epsilon(1e-9));
    CHECK(lr_at_count(plan, 100) == Approx(1e-3).epsilon(1e-9));
    CHECK(lr_at_count(plan, 101) == Approx(9.99997e-4).epsilon(1e-5));
    CHECK(lr_at_count(plan, 325) == Approx(8.68198e-4).epsilon(1e-5));
    CHECK(lr_at_count(plan, 550) == Approx(5.5e-4).epsilon(1e-9));
    CHECK(lr_at_count(plan, 775) == Approx(2.31802e-4).epsilon(1e-5));
    CHECK(lr_at_count(plan, 999) == Approx(1.000027e-4).epsilon(1e-6));
    CHECK(lr_at_count(plan, 1000) == Approx(1e-4).epsilon(1e-9));
    CHECK(lr_at_count(plan, 1500) == Approx(1e-4).epsilon(1e-9));

    // Step s is count s - 1: the first optimizer step uses LR 0.
    CHECK(plan.lr_at_step(1) == 0.0);
    CHECK(plan.lr_at_step(101) == Approx(1e-3).epsilon(1e-9));
}

TEST_CASE("Levanter example 2: two cycles, WSD-S with rewarmup, linear", "[schedule]") {
    // Worked example 2 of Levanter's schedule (src/levanter/optim/config.py,
    // OptimizerConfig.lr_scheduler).
    const RunPlan plan = levanter_plan({{"run.cycles", "2"},
                                        {"run.rewarmup", "0.05"},
                                        {"run.decay", "0.2"},
                                        {"run.lr_schedule", "linear"}});
    const LevanterSchedule& s = levanter_of(plan);
    REQUIRE(s.cycles.size() == 2);
    check_cycle(s.cycles[0], 0, 500, 50, 350, 100, 0.0);
    check_cycle(s.cycles[1], 500, 500, 25, 375, 100, 1e-4);

    const std::vector<std::pair<int64_t, double>> table = {
        {0, 0.0},      {25, 5.0e-4},   {49, 9.8e-4},  {50, 1.0e-3},  {399, 1.0e-3},  {400, 1.0e-3},
        {450, 5.5e-4}, {499, 1.09e-4}, {500, 1.0e-4}, {510, 4.6e-4}, {524, 9.64e-4}, {525, 1.0e-3},
        {899, 1.0e-3}, {900, 1.0e-3},  {950, 5.5e-4}, {999, 1.09e-4}};
    for (const auto& [t, lr] : table) {
        INFO("t = " << t);
        CHECK(lr_at_count(plan, t) == Approx(lr).epsilon(1e-9).margin(1e-15));
    }

    // Checkpoints before and after each decay; period marks at the cycle ends.
    REQUIRE(plan.checkpoints.size() == 4);
    CHECK(plan.checkpoints[0].step == 400);
    CHECK(plan.checkpoints[0].name == "cycle 1 pre-decay");
    CHECK(plan.checkpoints[1].step == 500);
    CHECK(plan.checkpoints[1].name == "cycle 1 post-decay");
    CHECK(plan.checkpoints[2].step == 900);
    CHECK(plan.checkpoints[3].step == 1000);
    CHECK(plan.checkpoints[3].tokens == 1000 * 8192);
    REQUIRE(plan.period_marks.size() == 2);
    CHECK(plan.period_marks[0].tokens == 500 * 8192);
    CHECK(plan.period_marks[0].label == "cycle 1");
}

TEST_CASE("Levanter example 2 without rewarmup jumps back to the peak", "[schedule]") {
    const RunPlan plan =
        levanter_plan({{"run.cycles", "2"}, {"run.decay", "0.2"}, {"run.lr_schedule", "linear"}});
    check_cycle(levanter_of(plan).cycles[1], 500, 500, 0, 400, 100, 1e-4);
    CHECK(lr_at_count(plan, 499) == Approx(1.09e-4).epsilon(1e-9));
    CHECK(lr_at_count(plan, 500) == Approx(1e-3).epsilon(1e-9));
}

TEST_CASE("Levanter example 4: inv, no warmup", "[schedule]") {
    // Worked example 4 of Levanter's schedule (src/levanter/optim/config.py,
    // OptimizerConfig.lr_scheduler): lr(t) = max(1e-3 / (9 max(t,1)/1000 + 1), 1e-4).
    const RunPlan plan = levanter_plan({{"run.warmup", "0.0"}, {"run.lr_schedule", "inv"}});
    const LevanterSchedule& s = levanter_of(plan);
    REQUIRE(s.cycles.size() == 1);
    check_cycle(s.cycles[0], 0, 1000, 0, 0, 1000, 0.0);
    CHECK(lr_at_count(plan, 0) == Approx(9.9108e-4).epsilon(5e-5));
    CHECK(lr_at_count(plan, 0) == Approx(1e-3 / 1.009).epsilon(1e-12));
    CHECK(lr_at_count(plan, 1) == Approx(9.9108e-4).epsilon(5e-5));
    CHECK(lr_at_count(plan, 2) == Approx(9.8232e-4).epsilon(5e-5));
    CHECK(lr_at_count(plan, 100) == Approx(5.2632e-4).epsilon(5e-5));
    CHECK(lr_at_count(plan, 500) == Approx(1.8182e-4).epsilon(5e-5));
    CHECK(lr_at_count(plan, 999) == Approx(1.0009e-4).epsilon(5e-5));
    CHECK(lr_at_count(plan, 1000) == Approx(1e-4).epsilon(1e-9));
}

TEST_CASE("Levanter example 5: integer cycle_length, remainder in the last cycle", "[schedule]") {
    // Worked example 5 of Levanter's schedule (src/levanter/optim/config.py,
    // OptimizerConfig.lr_scheduler): P = [0, 300, 600, 1000], decay 0.1, cosine.
    const RunPlan plan =
        levanter_plan({{"run.warmup", "0.0"}, {"run.decay", "0.1"}, {"run.cycle_length", "300"}});
    const LevanterSchedule& s = levanter_of(plan);
    REQUIRE(s.cycles.size() == 3);
    check_cycle(s.cycles[0], 0, 300, 0, 270, 30, 0.0);
    check_cycle(s.cycles[1], 300, 300, 0, 270, 30, 1e-4);
    check_cycle(s.cycles[2], 600, 400, 0, 360, 40, 1e-4);

    CHECK(lr_at_count(plan, 0) == Approx(1e-3).epsilon(1e-9));
    CHECK(lr_at_count(plan, 269) == Approx(1e-3).epsilon(1e-9));
    CHECK(lr_at_count(plan, 270) == Approx(1e-3).epsilon(1e-9));
    CHECK(lr_at_count(plan, 285) == Approx(5.5e-4).epsilon(1e-9));
    CHECK(lr_at_count(plan, 299) == Approx(1.02465e-4).epsilon(1e-5));
    CHECK(lr_at_count(plan, 300) == Approx(1e-3).epsilon(1e-9));
    CHECK(lr_at_count(plan, 585) == Approx(5.5e-4).epsilon(1e-9));
    CHECK(lr_at_count(plan, 960) == Approx(1e-3).epsilon(1e-9));
    CHECK(lr_at_count(plan, 980) == Approx(5.5e-4).epsilon(1e-9));
    CHECK(lr_at_count(plan, 999) == Approx(1.01387e-4).epsilon(1e-5));
}

TEST_CASE("Levanter cycle boundaries", "[schedule]") {
    // Boundary-only examples of Levanter's schedule (src/levanter/optim/config.py) (T = 1000).
    SECTION("cycles=3") {
        const RunPlan plan = levanter_plan({{"run.cycles", "3"}});
        CHECK(cycle_starts(plan) == std::vector<int64_t>{0, 333, 666});
        CHECK(cycle_lengths(plan) == std::vector<int64_t>{333, 333, 334});
    }
    SECTION("cycles=[300, 700]") {
        const RunPlan plan = levanter_plan({{"run.cycles", "[300, 700]"}});
        CHECK(cycle_starts(plan) == std::vector<int64_t>{0, 300, 700});
        CHECK(cycle_lengths(plan) == std::vector<int64_t>{300, 400, 300});
    }
    SECTION("cycle_length=[300, 400]") {
        const RunPlan plan = levanter_plan({{"run.cycle_length", "[300, 400]"}});
        CHECK(cycle_starts(plan) == std::vector<int64_t>{0, 300, 700});
        CHECK(cycle_lengths(plan) == std::vector<int64_t>{300, 400, 300});
    }
    SECTION("cycle_length=300") {
        const RunPlan plan = levanter_plan({{"run.cycle_length", "300"}});
        CHECK(cycle_starts(plan) == std::vector<int64_t>{0, 300, 600});
        CHECK(cycle_lengths(plan) == std::vector<int64_t>{300, 300, 400});
    }
    SECTION("cycle_length=0.25") {
        const RunPlan plan = levanter_plan({{"run.cycle_length", "0.25"}});
        CHECK(cycle_starts(plan) == std::vector<int64_t>{0, 250, 500, 750});
    }
    SECTION("cycle_length=1500") {
        const RunPlan plan = levanter_plan({{"run.cycle_length", "1500"}});
        CHECK(cycle_starts(plan) == std::vector<int64_t>{0});
        CHECK(cycle_lengths(plan) == std::vector<int64_t>{1000});
    }
    SECTION("cycle_length=[500, 500] adds nothing") {
        const RunPlan plan = levanter_plan({{"run.cycle_length", "[500, 500]"}});
        CHECK(cycle_starts(plan) == std::vector<int64_t>{0, 500});
    }
}

TEST_CASE("Levanter configuration errors name the key", "[schedule]") {
    SECTION("cycles and cycle_length both set") {
        const std::string message = config_error_of([] {
            levanter_config({{"run.cycles", "2"}, {"run.cycle_length", "300"}});
        });
        CHECK(message.find("run.cycles") != std::string::npos);
        CHECK(message.find("cycle_length") != std::string::npos);
    }
    SECTION("cycle_length list longer than num_train_steps") {
        const std::string message = config_error_of([] {
            levanter_plan({{"run.cycle_length", "[600, 600]"}});
        });
        CHECK(message.find("run.cycle_length") != std::string::npos);
        CHECK(message.find("1200") != std::string::npos);
    }
    SECTION("fractional cycle_length above one") {
        const std::string message = config_error_of([] {
            levanter_plan({{"run.cycle_length", "1.5"}});
        });
        CHECK(message.find("run.cycle_length") != std::string::npos);
    }
    SECTION("fractional warmup above one") {
        const std::string message = config_error_of([] {
            levanter_config({{"run.warmup", "1.5"}});
        });
        CHECK(message.find("run.warmup") != std::string::npos);
    }
}

// With no warmup and no stable phase the decay starts at step 0: there is no pre-decay
// checkpoint then, and every planned checkpoint lies on the schedule.
TEST_CASE("Levanter: every checkpoint has a finite LR", "[schedule]") {
    const RunPlan plan = levanter_plan({{"run.warmup", "0.0"}, {"run.lr_schedule", "inv"}});
    for (const auto& checkpoint : plan.checkpoints) {
        INFO(checkpoint.name << " at step " << checkpoint.step);
        CHECK(checkpoint.step > 0);
        CHECK(std::isfinite(plan.lr_at_step(checkpoint.step)));
    }
}
