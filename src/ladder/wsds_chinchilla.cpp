// OLMo-core's WSDSChinchillaRunConfigurator (olmo-facts §4.6), formula for formula.
#include <cmath>
#include <string>

#include "config/fields.hpp"
#include "ladder/run_configurators.hpp"
#include "util/format.hpp"

namespace ladder {

namespace {

// D(c): c times the Chinchilla-optimal tokens, rounded to whole batches.
int64_t chinchilla_tokens(const config::WsdsChinchillaRunConfig& run, int64_t num_params,
                          int64_t batch, double multiple) {
    const auto tokens =
        static_cast<int64_t>(run.tokens_per_param * static_cast<double>(num_params) * multiple);
    return batch * static_cast<int64_t>(
                       std::nearbyint(static_cast<double>(tokens) / static_cast<double>(batch)));
}

// Period multiples 0.5, 1, 2, ... up to chinchilla_multiple.
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

}  // namespace

int64_t wsds_target_batch_size(const config::WsdsChinchillaRunConfig&, int64_t num_params) {
    return static_cast<int64_t>(std::nearbyint(
        2048 * 160 * std::pow(static_cast<double>(num_params) / 108000000.0, 2.0 / 3.0)));
}

void configure_wsds_chinchilla(const config::WsdsChinchillaRunConfig& run, RunPlan& plan) {
    const int64_t n = plan.num_non_embedding_params;
    const int64_t batch = plan.batch.global_batch_size;

    double lr = 0.0047 * std::pow(static_cast<double>(n) / 108000000.0, -1.0 / 3.0);
    lr /= 2.0;
    lr *= run.lr_multiplier;
    plan.optimizer.lr = lr;
    plan.optimizer.beta1 = 0.9;
    plan.optimizer.beta2 = batch >= 524288 ? 0.95 : 0.99;
    plan.optimizer.eps = 1e-8;
    plan.optimizer.weight_decay = 0.1;

    // Warmup: one token per parameter.
    plan.warmup_tokens = n;
    const std::vector<double> multiples = period_multiples(run.chinchilla_multiple);
    std::vector<double> lengths;
    std::vector<double> lr_multipliers;
    int64_t previous_end = 0;
    for (size_t i = 0; i < multiples.size(); ++i) {
        const double c = multiples[i];
        const int64_t end = chinchilla_tokens(run, n, batch, c);
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
    plan.duration_tokens = chinchilla_tokens(run, n, batch, run.chinchilla_multiple);
    plan.duration_steps = plan.duration_tokens / batch;

    try {
        plan.schedule = optim::WsdsSchedule::make(lr, static_cast<double>(plan.warmup_tokens),
                                                  lengths, lr_multipliers, run.decay_fraction);
    } catch (const std::invalid_argument& e) {
        throw config::ConfigError("run", std::string("WSD-S schedule for size ") + plan.size +
                                             " does not fit: " + e.what());
    }
    plan.schedule_title = "Learning rate schedule for a " + format_count(static_cast<double>(n)) +
                          " model out to " + python_float(run.chinchilla_multiple) + "xC";
}

}  // namespace ladder
