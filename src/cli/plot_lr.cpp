// `ladder plot-lr SIZE...`: LR schedules as PNG + SVG, in the terminal, or as CSV.
#include <iostream>

#include "cli/common.hpp"
#include "plot/terminal_plot.hpp"
#include "util/atomic_file.hpp"
#include "util/format.hpp"
#include "util/terminal.hpp"

namespace ladder::cli {

namespace {

struct PlotLrOptions {
    std::vector<std::string> sizes;
    bool terminal = false;
    std::optional<std::string> csv;
    std::optional<std::string> output_dir;
};

// step,tokens,lr for every optimizer step (a leading size column when several sizes).
void write_csv(const std::vector<RunPlan>& plans, const std::string& path) {
    write_text_atomically(path, [&](std::ostream& out) {
        const bool several = plans.size() > 1;
        out << (several ? "size,step,tokens,lr\n" : "step,tokens,lr\n");
        for (const auto& plan : plans) {
            for (const auto& point : plot::sample_schedule(plan)) {
                const auto step = static_cast<int64_t>(point.tokens) / plan.batch.global_batch_size;
                if (several)
                    out << plan.size << ",";
                out << step << "," << static_cast<int64_t>(point.tokens) << ","
                    << shortest_number(point.lr) << "\n";
            }
        }
    });
}

void plot_lr(const PlotLrOptions& options, const CommonOptions& common) {
    const config::LadderConfig config = load_ladder(common);
    std::vector<RunPlan> plans;
    for (const auto& size : options.sizes) {
        plans.push_back(plan_run(config, size));
        print_warnings(plans.back());
    }
    if (options.csv) {
        write_csv(plans, *options.csv);
        std::cout << "Saved LR schedule to '" << *options.csv << "'\n";
    }
    const plot::LrFigure figure = plot::make_lr_figure(plans);
    if (options.terminal) {
        std::cout << plot::render_terminal(figure, 72, 16, stdout_supports_color());
        return;
    }
    const std::string stem = "lr_schedule_" + join(options.sizes, "_");
    for (const auto& path :
         write_plot(figure, output_folder(options.output_dir, config), stem, {".png", ".svg"})) {
        std::cout << "Saved LR schedule plot to '" << path << "'\n";
    }
}

}  // namespace

void register_plot_lr(CLI::App& app, CommonOptions& common) {
    auto options = std::make_shared<PlotLrOptions>();
    CLI::App* command = app.add_subcommand(
        "plot-lr", "Draw the LR schedule of one or more sizes, with period ends and checkpoints");
    command->add_option("sizes", options->sizes, "model sizes, overlaid in one plot")->required();
    command->add_flag("--terminal", options->terminal,
                      "draw in the terminal instead of writing PNG and SVG files");
    command->add_option("--csv", options->csv,
                        "also write step,tokens,lr for every optimizer step to this file");
    command->add_option("--output-dir", options->output_dir,
                        "where plots go, under <dir>/<ladder name>/ (default: ladder-output)");
    add_config_option(command, common);
    command->callback([options, &common] { plot_lr(*options, common); });
}

}  // namespace ladder::cli
