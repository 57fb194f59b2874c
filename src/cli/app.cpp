#include "cli/app.hpp"

#include <algorithm>

#include "cli/common.hpp"
#include "cli/prepare_tasks.hpp"
#include "config/overrides.hpp"
#include "util/error.hpp"
#include "util/format.hpp"
#include "util/log.hpp"

namespace ladder::cli {

namespace {

// CLI11 would call a misspelled command "an extra positional argument"; name it instead.
void reject_unknown_command(const CLI::App& app, const std::vector<std::string>& args) {
    if (args.empty() || args.front().empty() || args.front()[0] == '-')
        return;
    std::vector<std::string> names;
    for (const CLI::App* command : app.get_subcommands({}))
        names.push_back(command->get_name());
    if (std::find(names.begin(), names.end(), args.front()) != names.end())
        return;
    std::string message = "unknown command '" + args.front() + "'";
    const std::string near = closest_match(args.front(), names);
    if (!near.empty())
        message += " (did you mean '" + near + "'?)";
    throw UsageError(message + "; commands: " + join(names, ", "));
}

// Overrides belong to commands that read a config (they have --config); the others own
// every flag they are given: `tokenize --model` is its model file, not the config's `model`.
bool takes_overrides(const CLI::App& app, const std::vector<std::string>& args) {
    if (args.empty())
        return true;
    for (const CLI::App* command : app.get_subcommands({})) {
        if (command->get_name() == args.front())
            return command->get_option_no_throw("--config") != nullptr;
    }
    return true;
}

}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"ladder: plan, train and collect model ladders for scaling-law research",
                 "ladder"};
    app.set_version_flag("--version", std::string("ladder ") + LADDER_VERSION);
    app.require_subcommand(1);
    app.fallthrough(false);

    CommonOptions common;
    common.args.assign(argv, argv + argc);
    register_dry_run(app, common);
    register_plot_lr(app, common);
    register_plot_metrics(app, common);
    register_train(app, common);
    register_help_config(app);
    register_env(app);
    register_tokenize(app);
    register_prepare_tasks(app, common);
    register_eval(app, common);
    register_hf(app, common);
    register_checkpoints(app, common);
    register_metrics(app, common);
    register_fit(app);
    // Every command takes the log level; setting it at once lets the command's own
    // messages follow it.
    for (CLI::App* command : app.get_subcommands({})) {
        command
            ->add_option_function<std::string>(
                "--log-level", [](const std::string& level) { log::setup(level); },
                std::string("messages on stderr down to this level: ") + log::kLevels +
                    " (default: $LADDER_LOG_LEVEL, else info)")
            ->type_name("LEVEL");
    }

    try {
        log::setup(std::nullopt);
        std::vector<std::string> args(argv + 1, argv + argc);
        config::SplitArguments split;
        if (takes_overrides(app, args))
            split = config::split_overrides(args);
        else
            split.remaining = args;
        common.overrides = std::move(split.overrides);
        reject_unknown_command(app, split.remaining);
        std::reverse(split.remaining.begin(), split.remaining.end());  // CLI11 reads it backwards
        app.parse(split.remaining);
        return 0;
    } catch (const ExitCode& e) {
        return e.code;
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        spdlog::error(one_line_message(std::string(e.what()) + " (see ladder --help)"));
        return kExitUsage;
    } catch (const UsageError& e) {
        spdlog::error(one_line_message(e.what()));
        return kExitUsage;
    } catch (const std::exception& e) {
        spdlog::critical(one_line_message(without_backtrace(e.what())));
        return kExitRuntimeFailure;
    }
}

}  // namespace ladder::cli
