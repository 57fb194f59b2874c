// `ladder eval SIZE [--step N | --all-steps] [--tasks NAME...] [--lm]`: evaluates saved
// checkpoints of one size after training (new tasks on an old ladder), with the in-loop
// evaluators, and merges the eval/ metrics into each step's metrics file.
#include <algorithm>
#include <filesystem>
#include <optional>

#include "cli/common.hpp"
#include "cli/modules.hpp"
#include "cli/prepare_tasks.hpp"
#include "dist/launch_env.hpp"
#include "io/checkpoint_dir.hpp"
#include "io/run_discovery.hpp"
#include "train/eval_request.hpp"
#include "util/error.hpp"
#include "util/format.hpp"

namespace ladder::cli {

namespace {

struct EvalOptions {
    std::string size;
    std::optional<int64_t> step;
    bool all_steps = false;
    std::vector<std::string> tasks;
    bool lm = false;
};

std::vector<int64_t> chosen_steps(const EvalOptions& options, const std::string& folder) {
    const std::vector<int64_t> saved = saved_steps(folder, options.size, options.step);
    if (options.step)
        return {*options.step};
    if (!options.all_steps)
        return {saved.back()};
    // The ones training evaluated: those with a metrics file to add to.
    std::vector<int64_t> evaluated;
    for (const int64_t s : saved) {
        if (std::filesystem::exists(std::filesystem::path(folder) / io::metrics_file_name(s)))
            evaluated.push_back(s);
    }
    if (evaluated.empty())
        throw UsageError("--all-steps: no checkpoint in '" + folder + "' has a metrics file");
    return evaluated;
}

void evaluate(const EvalOptions& options, const CommonOptions& common) {
    const config::LadderConfig config = load_ladder(common);
    const RunPlan plan = plan_run(config, options.size);
    train::EvalRequest request;
    request.lm = options.lm;
    for (const std::string& task : options.tasks) {
        if (config.data.downstream.count(task) == 0) {
            std::vector<std::string> names;
            for (const auto& [name, path] : config.data.downstream)
                names.push_back(name);
            throw UsageError("--tasks: '" + task + "' is not a task of data.downstream (" +
                             (names.empty() ? "which is empty" : "it has " + join(names, ", ")) +
                             ")");
        }
    }
    request.tasks = options.tasks;
    if (request.tasks.empty()) {
        for (const auto& [name, path] : config.data.downstream)
            request.tasks.push_back(name);
    }
    if (request.lm && config.data.validation.empty())
        throw UsageError("--lm: data.validation names no validation sets");
    if (request.tasks.empty() && !request.lm)
        throw UsageError("nothing to evaluate: data.downstream is empty and --lm is not given");
    request.steps = chosen_steps(options, plan.save_folder);

    const dist::LaunchEnv launch = dist::detect_launch();
    prepare_tasks_first(config, common, launch, !request.tasks.empty());
    using Entry = int (*)(const config::LadderConfig*, const RunPlan*, const dist::LaunchEnv*,
                          const train::EvalRequest*);
    const auto entry =
        reinterpret_cast<Entry>(module_symbol("libladder_torch.so", "ladder_torch_eval"));
    if (const int code = entry(&config, &plan, &launch, &request); code != 0)
        throw ExitCode{code};
}

}  // namespace

void register_eval(CLI::App& app, CommonOptions& common) {
    auto options = std::make_shared<EvalOptions>();
    CLI::App* command = app.add_subcommand(
        "eval",
        "Evaluate saved checkpoints of one size on the downstream tasks (and with --lm the "
        "validation sets), merging the metrics into their metrics files");
    command->add_option("size", options->size, "model size, one of the ladder's sizes")->required();
    auto* step = command->add_option("--step", options->step,
                                     "the checkpoint of this step (default: the latest)");
    command
        ->add_flag("--all-steps", options->all_steps,
                   "every checkpoint with a metrics file (those training evaluated)")
        ->excludes(step);
    command->add_option("--tasks", options->tasks,
                        "only these tasks of data.downstream (default: all of them)");
    command->add_flag("--lm", options->lm, "also the validation sets of data.validation");
    add_config_option(command, common);
    command->callback([options, &common] { evaluate(*options, common); });
}

}  // namespace ladder::cli
