// `ladder train SIZE` and `ladder benchmark SIZE`: plan the rung here, then hand it to the
// LibTorch module (loaded only now, so planning commands never pay for LibTorch).
#include <iostream>

#include "cli/common.hpp"
#include "cli/modules.hpp"

namespace ladder::cli {

namespace {

struct TrainOptions {
    std::string size;
};

void train(const TrainOptions& options, const CommonOptions& common, bool benchmark) {
    config::LadderConfig config = load_ladder(common);
    if (benchmark) {
        config.trainer.no_checkpoints = true;
        config.trainer.no_evals = true;
    }
    const RunPlan plan = plan_run(config, options.size);
    print_warnings(plan);
    using TrainEntry = int (*)(const config::LadderConfig*, const RunPlan*, bool);
    const auto entry =
        reinterpret_cast<TrainEntry>(module_symbol("libladder_torch.so", "ladder_torch_train"));
    if (const int code = entry(&config, &plan, benchmark); code != 0)
        throw ExitCode{code};
}

void register_one(CLI::App& app, CommonOptions& common, const char* name, const char* help,
                  bool benchmark) {
    auto options = std::make_shared<TrainOptions>();
    CLI::App* command = app.add_subcommand(name, help);
    command->add_option("size", options->size, "model size, one of the ladder's sizes")->required();
    add_config_option(command, common);
    command->callback([options, &common, benchmark] { train(*options, common, benchmark); });
}

}  // namespace

void register_train(CLI::App& app, CommonOptions& common) {
    register_one(app, common, "train",
                 "Train one size of the ladder on its planned batch, schedule and duration", false);
    register_one(app, common, "benchmark",
                 "Train one size for 100 steps (or trainer.hard_stop) without checkpoints or "
                 "evals, then print tokens/s, step time, MFU and peak memory",
                 true);
}

}  // namespace ladder::cli
