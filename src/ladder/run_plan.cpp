#include "ladder/run_plan.hpp"

#include <algorithm>
#include <cmath>

#include "config/fields.hpp"
#include "ladder/run_configurator.hpp"
#include "util/format.hpp"

namespace ladder {

namespace {

using config::ConfigError;

// How far a size's parameter count may be from its name before the plan warns:
// Olmo3ModelConfigurator.configure_model (olmo_core/model_ladder/
// transformer_model_configurator.py) warns beyond 5%.
constexpr double kSizeNameTolerance = 0.05;

void check_custom_size(const std::string& name, const config::CustomSizeConfig& size) {
    const std::string path = "model.sizes." + name;
    if (size.d_model <= 0 || size.n_layers <= 0 || size.n_heads <= 0) {
        throw ConfigError(path, "d_model, n_layers and n_heads are required (> 0)");
    }
    if (!size.head_dim && size.d_model % size.n_heads != 0) {
        throw ConfigError(path + ".n_heads",
                          "expected a divisor of d_model (" + std::to_string(size.d_model) +
                              ") or a head_dim, got " + std::to_string(size.n_heads));
    }
    const int64_t kv = size.n_kv_heads.value_or(size.n_heads);
    if (size.n_heads % kv != 0) {
        throw ConfigError(path + ".n_kv_heads", "expected a divisor of n_heads (" +
                                                    std::to_string(size.n_heads) + "), got " +
                                                    std::to_string(kv));
    }
}

// The step at which a duration in steps or tokens is due.
int64_t due_step(const config::DurationConfig& d, int64_t batch) {
    return d.unit == "tokens" ? (d.value + batch - 1) / batch : d.value;
}

// The earlier of two optional stops.
std::optional<int64_t> earlier(std::optional<int64_t> a, std::optional<int64_t> b) {
    if (a && b)
        return std::min(*a, *b);
    return a ? a : b;
}

// Fills stop_step and stop_epoch from the plan's hard_stop and max_duration.
void plan_stop(RunPlan& plan) {
    const int64_t batch = plan.batch.global_batch_size;
    for (const auto& duration : {plan.max_duration, plan.hard_stop}) {
        if (!duration)
            continue;
        if (duration->unit == "epochs") {
            plan.stop_epoch = earlier(plan.stop_epoch, duration->value);
        } else {
            plan.stop_step = earlier(plan.stop_step, due_step(*duration, batch));
        }
    }
}

}  // namespace

double approx_params(const config::LadderConfig& config, const std::string& size) {
    if (const auto count = parse_size_count(size))
        return *count;
    const auto spec = find_model_spec(config, size);
    return spec ? static_cast<double>(spec->num_non_embedding_params()) : 0.0;
}

void check_ladder(const config::LadderConfig& config) {
    for (const auto& [name, size] : config.model.sizes)
        check_custom_size(name, size);
    const std::vector<std::string> known = known_size_names(config);
    for (size_t i = 0; i < config.sizes.size(); ++i) {
        const std::string& size = config.sizes[i];
        if (!find_model_spec(config, size)) {
            std::string message = "unknown size '" + size + "'";
            const std::string near = closest_match(size, known);
            message += near.empty() ? "" : " (did you mean '" + near + "'?)";
            message += "; known sizes: " + join(known, ", ") + ", or declare it under model.sizes";
            throw ConfigError("sizes." + std::to_string(i), message);
        }
    }
}

RunPlan plan_run(const config::LadderConfig& config, const std::string& size) {
    check_ladder(config);
    if (std::find(config.sizes.begin(), config.sizes.end(), size) == config.sizes.end()) {
        std::string message = "size '" + size + "' is not in this ladder";
        const std::string near = closest_match(size, config.sizes);
        if (!near.empty())
            message += " (did you mean '" + near + "'?)";
        throw UsageError(message + "; its sizes are: " + join(config.sizes, ", "));
    }

    // Only the size asked for must fit the devices: OLMo-core plans one size at a time.
    const double approx = approx_params(config, size);
    const DeviceKind device = classify_device(config.device_type);
    const int64_t min_devices = minimal_num_devices(approx, device, config.max_devices);
    if (min_devices > config.max_devices) {
        throw ConfigError("max_devices", "size " + size + " needs at least " +
                                             std::to_string(min_devices) + " devices, got " +
                                             std::to_string(config.max_devices));
    }

    RunPlan plan;
    plan.size = size;
    plan.run_name = config.name + "-" + size;
    plan.save_folder = config::ladder_dir(config) + "/" + size;
    plan.model = *find_model_spec(config, size);
    plan.num_params = plan.model.num_params();
    plan.num_non_embedding_params = plan.model.num_non_embedding_params();
    plan.hard_stop = config.trainer.hard_stop;
    plan.max_duration = config.trainer.max_duration;

    const double n = static_cast<double>(plan.num_non_embedding_params);
    if (parse_size_count(size) && std::fabs(n - approx) / approx > kSizeNameTolerance) {
        plan.warnings.push_back("Configured model has " + format_count(n) +
                                " (non-embedding) parameters, which differs from target of " +
                                size + " by ~" + fixed(100.0 * std::fabs(n - approx) / approx, 1) +
                                "%.");
    }

    const RunConfigurator& configurator = run_configurator(config.run.type);
    plan.chinchilla_tokens = configurator.chinchilla_tokens(config, plan.num_non_embedding_params);
    const int64_t target = configurator.target_batch_size(config, plan.num_non_embedding_params);
    const int64_t microbatch = config.model.rank_microbatch_size.value_or(
        default_rank_microbatch_size(approx, device, config.sequence_length));
    plan.batch =
        plan_batch(target, microbatch, min_devices, config.max_devices, config.sequence_length);
    if (plan.batch.far_from_target()) {
        const double global = static_cast<double>(plan.batch.global_batch_size);
        const double wanted = static_cast<double>(plan.batch.target_batch_size);
        std::string warning = "Global batch size to use (" + format_tokens(global) +
                              ") differs from target global batch size (" + format_tokens(wanted) +
                              ") by ~" + fixed(100.0 * std::fabs(global - wanted) / wanted, 1) +
                              "%.";
        if (plan.batch.rank_microbatch_instances() > 1) {
            warning += " Consider decreasing model.rank_microbatch_size.";
        }
        plan.warnings.push_back(warning);
    }

    configurator.configure(config, plan);

    plan_stop(plan);
    if (config.trainer.no_checkpoints)
        plan.checkpoints.clear();
    return plan;
}

}  // namespace ladder
