// WSDSChinchillaRunConfigurator of olmo_core/model_ladder/wsds_chinchilla_run_configurator.py,
// formula for formula.
#include "ladder/wsds_chinchilla.hpp"

#include <cmath>
#include <memory>
#include <string>

#include "ladder/run_plan.hpp"
#include "optim/wsds_schedule.hpp"
#include "util/format.hpp"

namespace ladder {

namespace {

using config::ConfigError;

// The reference model of the batch and LR fits (Porian et al. 2024, "Resolving Discrepancies
// in Compute-Optimal Scaling of Language Models", CorpusID 270764838): 108M non-embedding
// parameters, batch 160 sequences of 2,048 tokens, peak LR 0.0047 at 1xC.
constexpr double kReferenceParams = 108e6;
constexpr double kReferenceBatchTokens = 2048 * 160;
constexpr double kReferencePeakLr = 0.0047;
// OLMo-core halves that LR: near optimal for OLMo models, especially with the stepped
// schedule (configure_optimizer).
constexpr double kLrScale = 0.5;
// Below this many tokens per step, beta2 0.99 instead of 0.95 (the paper's Table 4).
constexpr int64_t kLargeBatchTokens = 524288;

bool is_power_of_two(double x) {
    int exponent = 0;
    return x > 0 && std::frexp(x, &exponent) == 0.5;
}

// _chinchilla_duration: c times the Chinchilla-optimal tokens, rounded to whole batches.
int64_t chinchilla_duration(const config::WsdsChinchillaRunConfig& run, int64_t num_params,
                            int64_t batch, double multiple) {
    const auto tokens =
        static_cast<int64_t>(run.tokens_per_param * static_cast<double>(num_params) * multiple);
    return batch * static_cast<int64_t>(
                       std::nearbyint(static_cast<double>(tokens) / static_cast<double>(batch)));
}

// configure_chinchilla_periods: multiples 0.5, 1, 2, ... up to chinchilla_multiple.
std::vector<double> period_multiples(double chinchilla_multiple) {
    std::vector<double> multiples;
    const int max_power = static_cast<int>(std::lround(std::log2(chinchilla_multiple)));
    for (int p = -1; p <= max_power; ++p)
        multiples.push_back(std::ldexp(1.0, p));
    return multiples;
}

// Python prints 2**-1 as "0.5" and 2**p (p >= 0) as an int: "1", "2", "4".
std::string multiple_label(double c) {
    return c < 1 ? python_float(c) : std::to_string(static_cast<int64_t>(c));
}

void validate(const config::LadderConfig& config) {
    // __post_init__ checks decay_fraction too; its field list holds that range.
    const double multiple = config.run.wsds_chinchilla.chinchilla_multiple;
    if (multiple < 0.5 || !is_power_of_two(multiple)) {
        throw ConfigError("run.chinchilla_multiple",
                          "expected a power of two >= 0.5 (0.5, 1, 2, 4, ...), got " +
                              config::format_number(multiple));
    }
}

// configure_target_batch_size: round(2048 * 160 * (N / 108e6)^(2/3)).
int64_t target_batch_size(const config::LadderConfig&, int64_t num_params) {
    return static_cast<int64_t>(
        std::nearbyint(kReferenceBatchTokens *
                       std::pow(static_cast<double>(num_params) / kReferenceParams, 2.0 / 3.0)));
}

int64_t chinchilla_tokens(const config::LadderConfig& config, int64_t num_params) {
    return static_cast<int64_t>(config.run.wsds_chinchilla.tokens_per_param *
                                static_cast<double>(num_params));
}

void configure(const config::LadderConfig& config, RunPlan& plan) {
    const config::WsdsChinchillaRunConfig& run = config.run.wsds_chinchilla;
    const int64_t n = plan.num_non_embedding_params;
    const int64_t batch = plan.batch.global_batch_size;

    // configure_optimizer: the paper's LR, optimal for 1xC, halved, times lr_multiplier.
    const double lr = kReferencePeakLr *
                      std::pow(static_cast<double>(n) / kReferenceParams, -1.0 / 3.0) * kLrScale *
                      run.lr_multiplier;
    plan.optimizer.lr = lr;
    plan.optimizer.beta1 = 0.9;
    plan.optimizer.beta2 = batch >= kLargeBatchTokens ? 0.95 : 0.99;
    plan.optimizer.eps = 1e-8;
    plan.optimizer.weight_decay = 0.1;

    // configure_chinchilla_periods: warm up one token per parameter (the paper's rule).
    plan.warmup_tokens = n;
    const std::vector<double> multiples = period_multiples(run.chinchilla_multiple);
    std::vector<double> lengths;
    std::vector<double> lr_multipliers;
    int64_t previous_end = 0;
    for (size_t i = 0; i < multiples.size(); ++i) {
        const double c = multiples[i];
        const int64_t end = chinchilla_duration(run, n, batch, c);
        const int64_t length = end - previous_end;
        lengths.push_back(static_cast<double>(length));
        lr_multipliers.push_back(run.stepped_schedule ? 1.0 / std::sqrt(c) : 1.0);

        const int64_t pre_decay =
            end -
            static_cast<int64_t>(std::nearbyint(static_cast<double>(length) * run.decay_fraction));
        const std::string label = multiple_label(c) + "xC";
        const std::string period = "period " + std::to_string(i + 1) + ", " + label;
        plan.checkpoints.push_back(
            {pre_decay / batch, pre_decay / batch * batch, period + " pre-decay"});
        plan.checkpoints.push_back({end / batch, end / batch * batch, period + " post-decay"});
        plan.period_marks.push_back({end, label});
        previous_end = end;
    }
    plan.duration_tokens = chinchilla_duration(run, n, batch, run.chinchilla_multiple);
    plan.duration_steps = plan.duration_tokens / batch;

    try {
        plan.schedule = std::make_shared<optim::WsdsStepSchedule>(
            optim::WsdsSchedule::make(lr, static_cast<double>(plan.warmup_tokens), lengths,
                                      lr_multipliers, run.decay_fraction),
            batch);
    } catch (const std::invalid_argument& e) {
        throw ConfigError("run", std::string("WSD-S schedule for size ") + plan.size +
                                     " does not fit: " + e.what());
    }
    plan.schedule_title = "Learning rate schedule for a " + format_count(static_cast<double>(n)) +
                          " model out to " + python_float(run.chinchilla_multiple) + "xC";
}

}  // namespace

RunConfigurator wsds_chinchilla_run_configurator() {
    return {config::WsdsChinchillaRunConfig::kType, validate, target_batch_size, chinchilla_tokens,
            configure};
}

}  // namespace ladder
