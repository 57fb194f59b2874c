// `ladder checkpoints SIZE... | --all`: OLMo-core's `status`, the checkpoints and metrics
// files of each run, ✔ or ✘, and a summary table over several sizes.
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "cli/run_selection.hpp"
#include "io/checkpoint_dir.hpp"
#include "io/run_discovery.hpp"
#include "util/box_table.hpp"
#include "util/format.hpp"
#include "util/terminal.hpp"

namespace ladder::cli {

namespace {

struct CheckpointsOptions {
    RunSelection selection;
    bool json = false;
    bool verify = false;
};

// ANSI styles, or nothing when stdout is not a color terminal.
struct Style {
    bool color = false;
    std::string operator()(const std::string& text, const char* code) const {
        return color ? "\x1b[" + std::string(code) + "m" + text + "\x1b[0m" : text;
    }
};

constexpr const char* kGreen = "1;32";
constexpr const char* kYellow = "1;33";
constexpr const char* kRed = "1;31";
constexpr const char* kCyan = "1;36";
constexpr const char* kLink = "4;34";

struct SizeSummary {
    std::string size;
    int found = 0;
    int expected = 0;
    int metrics = 0;
    int expected_metrics = 0;
    std::string status;  // ✔ ⚠ ✘
};

std::string display(const io::RunCheckpointInfo& c, const Style& style) {
    const std::string info = "Step " + with_commas(c.step) + " (" +
                             format_tokens(static_cast<double>(c.tokens)) + ") " +
                             style(c.name, kCyan);
    if (!c.exists)
        return style("✘", kYellow) + " " + info + "\n";
    if (c.damage)
        return style("✘", kRed) + " " + info + "\n  ↳ " + style(*c.damage, kRed) + "\n";
    std::string out =
        style("✔", kGreen) + " " + info + "\n  ↳ checkpoint: " + style(c.path, kLink) + "\n";
    if (c.metrics_path)
        out += "  ↳ metrics:    " + style(*c.metrics_path, kLink) + "\n";
    return out;
}

SizeSummary count(const std::string& size, const std::vector<io::RunCheckpointInfo>& shown,
                  int expected) {
    SizeSummary s{size, 0, expected, 0, std::max(expected - 1, 0), "✘"};
    for (const auto& c : shown) {
        s.found += c.exists && !c.damage ? 1 : 0;
        s.metrics += c.metrics_path ? 1 : 0;
    }
    return s;
}

// The planned checkpoints with the percent complete.
SizeSummary print_expected(const std::string& size,
                           const std::vector<io::RunCheckpointInfo>& expected, const Style& style) {
    if (expected.empty() || expected.back().step == 0) {
        std::cout << style("Run for size " + size + " has no configured checkpoint intervals.",
                           kRed)
                  << "\n";
        return {size, 0, 0, 0, 0, "✘"};
    }
    SizeSummary s = count(size, expected, static_cast<int>(expected.size()));
    int64_t max_done = 0;
    for (const auto& c : expected) {
        if (c.exists && !c.damage)
            max_done = std::max(max_done, c.step);
    }
    // Python's round(): halves to even, as nearbyint does by default.
    const auto percent = static_cast<int64_t>(
        std::nearbyint(static_cast<double>(max_done) / expected.back().step * 100.0));
    std::cout << style("Run for size " + size + ", " + std::to_string(percent) + "% complete:",
                       percent == 100 ? kGreen : kYellow)
              << "\n";
    for (const auto& c : expected)
        std::cout << display(c, style);
    s.status = percent == 100 ? "✔" : (s.found > 0 ? "⚠" : "✘");
    return s;
}

// Every checkpoint found on disk, against the number planned.
SizeSummary print_discovered(const std::string& size,
                             const std::vector<io::RunCheckpointInfo>& found, int expected,
                             const Style& style) {
    const std::string planned = " (expected " + std::to_string(expected) + ")";
    if (found.empty()) {
        std::cout << style("No checkpoints found for size " + size + planned + ".", kRed) << "\n";
        return count(size, found, expected);
    }
    SizeSummary s = count(size, found, expected);
    std::cout << style("Discovered " + std::to_string(s.found) + " checkpoint(s) for size " + size +
                           planned + ":",
                       kGreen)
              << "\n";
    for (const auto& c : found)
        std::cout << display(c, style);
    s.status = s.found >= expected ? "✔" : (s.found > 0 ? "⚠" : "✘");
    return s;
}

void print_summary(const std::string& ladder_name, const std::vector<SizeSummary>& summary,
                   const Style& style) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : summary) {
        const bool none = s.expected == 0;
        const char* color = s.status == "✔" ? "32" : (s.status == "⚠" ? "33" : "31");
        rows.push_back(
            {style(s.size, "36"),
             none ? "-" : std::to_string(s.found) + "/" + std::to_string(s.expected),
             none ? "-" : std::to_string(s.metrics) + "/" + std::to_string(s.expected_metrics),
             style(s.status, color)});
    }
    std::cout << "\n"
              << render_box_table("Summary: " + ladder_name,
                                  {{"Size", Align::left},
                                   {"Checkpoints", Align::right},
                                   {"Metrics", Align::right},
                                   {"Status", Align::center}},
                                  rows);
}

nlohmann::ordered_json to_json(const std::vector<io::RunCheckpointInfo>& checkpoints,
                               bool verified) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& c : checkpoints) {
        list.push_back({{"name", c.name},
                        {"step", c.step},
                        {"tokens", c.tokens},
                        {"path", c.path},
                        {"metrics_path", c.metrics_path ? nlohmann::ordered_json(*c.metrics_path)
                                                        : nlohmann::ordered_json(nullptr)},
                        {"exists", c.exists}});
        if (verified) {
            list.back()["damaged"] =
                c.damage ? nlohmann::ordered_json(*c.damage) : nlohmann::ordered_json(nullptr);
        }
    }
    return list;
}

// Re-reads every complete checkpoint's files against the sizes and CRC-32Cs its marker
// recorded: what a user runs before trusting a ladder copied between clusters.
void verify(std::vector<io::RunCheckpointInfo>& checkpoints) {
    for (auto& c : checkpoints) {
        if (c.exists)
            c.damage = io::verify_checkpoint(c.path);
    }
}

void checkpoints(const CheckpointsOptions& options, const CommonOptions& common) {
    const config::LadderConfig config = load_ladder(common);
    const RunSelection& selection = options.selection;
    const std::vector<RunPlan> plans = plan_selected(selection, config, false);

    const Style style{!options.json && stdout_supports_color()};
    nlohmann::ordered_json json = nlohmann::ordered_json::object();
    std::vector<SizeSummary> summary;
    for (const auto& plan : plans) {
        auto expected = io::expected_checkpoints(plan, selection.alternative_dirs);
        if (options.verify && !selection.discover_all)
            verify(expected);
        auto shown = selection.discover_all
                         ? io::discover_checkpoints(plan, selection.alternative_dirs)
                         : expected;
        if (options.verify && selection.discover_all)
            verify(shown);
        if (options.json) {
            json[plan.size] = to_json(shown, options.verify);
            continue;
        }
        if (!summary.empty())
            std::cout << "\n";
        summary.push_back(
            selection.discover_all
                ? print_discovered(plan.size, shown, static_cast<int>(expected.size()), style)
                : print_expected(plan.size, expected, style));
    }
    if (options.json)
        std::cout << json.dump(2) << "\n";
    else if (summary.size() > 1)
        print_summary(config.name, summary, style);
}

}  // namespace

void register_checkpoints(CLI::App& app, CommonOptions& common) {
    auto options = std::make_shared<CheckpointsOptions>();
    CLI::App* command = app.add_subcommand(
        "checkpoints",
        "List the checkpoints and metrics files of runs, ✔ or ✘, across the ladder's dir "
        "and alternative dirs");
    add_run_selection_options(command, options->selection);
    command->add_flag("--json", options->json,
                      "print one JSON object keyed by size: its checkpoints with name, step, "
                      "tokens, path, metrics_path and exists (and damaged, with --verify)");
    command->add_flag("--verify", options->verify,
                      "re-read every checkpoint listed and check each file's size and CRC-32C "
                      "against its marker: ✘ with the reason when damaged");
    add_config_option(command, common);
    command->callback([options, &common] { checkpoints(*options, common); });
}

}  // namespace ladder::cli
