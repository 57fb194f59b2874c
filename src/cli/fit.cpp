// `ladder fit METRICS.csv|METRICS.jsonl`: the loss law L(N, D) = E + A/N^alpha + B/D^beta
// fitted to a table in the shape `ladder metrics` writes, with bootstrap intervals,
// predictions, compute-optimal sizes and a held-out size; with --accuracy, the two-step
// task law.

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "fit/fit_figures.hpp"
#include "fit/fit_report.hpp"
#include "util/atomic_file.hpp"
#include "util/format.hpp"

namespace ladder::cli {

namespace {

struct FitOptions {
    std::string metrics_file;
    fit::FitRequest request;
    std::vector<std::string> predict;
    std::vector<std::string> compute;
    bool json = false;
    std::optional<std::string> output;
    std::optional<std::string> plot_dir;
};

// "7B", "1.4e11", "500M", "2T" -> a number.
double parse_quantity(const std::string& text, const std::string& option) {
    if (const auto value = parse_count(text))
        return *value;
    throw UsageError(option + ": expected a positive number such as 7e9 or 7B, got '" +
                     fit::shown(text) + "'");
}

// Outputs that cannot be written are refused before the fit, not after it.
void check_outputs(const FitOptions& options) {
    namespace fs = std::filesystem;
    std::error_code error;
    if (options.output)
        check_output_path(*options.output, "-o ");
    if (options.plot_dir && fs::exists(*options.plot_dir, error) &&
        !fs::is_directory(*options.plot_dir, error)) {
        throw UsageError("--plot '" + fit::shown_path(*options.plot_dir) +
                         "' is a file, expected a folder");
    }
}

nlohmann::json interval_json(const std::optional<fit::Interval>& ci) {
    return ci ? nlohmann::json::array({ci->first, ci->second}) : nlohmann::json(nullptr);
}

nlohmann::json prediction_json(const fit::Prediction& p) {
    nlohmann::json j = {{"N", p.n}, {"D", p.d}, {"loss", p.loss}, {"ci", interval_json(p.ci)}};
    if (p.accuracy)
        j["accuracy"] = *p.accuracy;
    return j;
}

nlohmann::json report_json(const fit::FitReport& r, const fit::FitRequest& request) {
    const fit::LossLaw& law = r.fit.law;
    nlohmann::json ci = nlohmann::json::object();
    for (const auto& [name, interval] : r.ci)
        ci[name] = {interval.first, interval.second};
    nlohmann::json out;
    out["loss_law"] = {{"column", r.loss_column},
                       {"A", law.A()},
                       {"B", law.B()},
                       {"E", law.E()},
                       {"alpha", law.alpha},
                       {"beta", law.beta},
                       {"rows", r.rows},
                       {"huber_delta", request.huber_delta},
                       {"objective", r.fit.objective},
                       {"starts", r.fit.starts},
                       {"grid_rows", r.fit.grid_rows},
                       {"bootstrap", request.bootstrap},
                       {"ci", ci}};
    if (r.task_law) {
        const fit::Sigmoid& s = r.task_law->fit.law;
        out["task_law"] = {{"column", r.task_law->accuracy_column},
                           {"loss_column", r.loss_column},
                           {"a", s.a},
                           {"k", s.k},
                           {"L0", s.l0},
                           {"b", s.b},
                           {"points", r.task_law->points.size()},
                           {"maximum", request.accuracy_max},
                           {"chance", request.chance},
                           {"objective", r.task_law->fit.objective}};
    }
    out["residuals"] = nlohmann::json::array();
    for (const auto& s : r.residuals) {
        out["residuals"].push_back({{"size", s.size},
                                    {"rows", s.rows},
                                    {"mean_relative_error", s.mean_relative_error},
                                    {"max_relative_error", s.max_relative_error}});
    }
    out["predictions"] = nlohmann::json::array();
    for (const auto& p : r.predictions)
        out["predictions"].push_back(prediction_json(p));
    for (const auto& [c, p] : r.optimal) {
        nlohmann::json j = prediction_json(p);
        j["compute"] = c;
        out["predictions"].push_back(j);
    }
    if (r.holdout_size) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& h : r.holdout) {
            nlohmann::json row = {{"N", h.n},
                                  {"D", h.d},
                                  {"actual", h.actual},
                                  {"predicted", h.predicted},
                                  {"relative_error", h.relative_error}};
            if (h.predicted_accuracy) {
                row["predicted_accuracy"] = *h.predicted_accuracy;
                row["actual_accuracy"] = h.actual_accuracy ? nlohmann::json(*h.actual_accuracy)
                                                           : nlohmann::json(nullptr);
            }
            rows.push_back(row);
        }
        out["holdout"] = {{"size", *r.holdout_size},
                          {"rows", rows},
                          {"mean_abs_relative_error", r.holdout_mean_abs_relative_error}};
    }
    return out;
}

std::string with_interval(double value, const std::optional<fit::Interval>& ci) {
    std::string text = format_metric(value);
    if (ci)
        text += "  [" + format_metric(ci->first) + ", " + format_metric(ci->second) + "]";
    return text;
}

void print_report(const fit::FitReport& r, const FitOptions& options) {
    const fit::LossLaw& law = r.fit.law;
    std::printf("Loss law L(N, D) = E + A / N^alpha + B / D^beta\n");
    std::printf("  fitted to %s rows (%s) of '%s', column '%s'\n", with_commas(r.rows).c_str(),
                options.request.rows.c_str(), options.metrics_file.c_str(), r.loss_column.c_str());
    std::printf("  Huber delta %s on ln loss, L-BFGS from %s starts: objective %s (%s)\n",
                format_metric(options.request.huber_delta).c_str(),
                with_commas(r.fit.starts).c_str(), format_metric(r.fit.objective).c_str(),
                r.fit.status.c_str());
    if (r.fit.grid_rows < r.rows) {
        const std::string sample = with_commas(r.fit.grid_rows);
        std::printf("  (the starts on an even sample of %s rows, the best refitted on all)\n",
                    sample.c_str());
    }
    if (options.request.bootstrap > 0) {
        std::printf("  95%% intervals from %s bootstrap refits (%s converged)\n",
                    with_commas(options.request.bootstrap).c_str(),
                    with_commas(r.bootstrap_fits).c_str());
    }
    const auto ci = [&r](const char* name) -> std::optional<fit::Interval> {
        const auto it = r.ci.find(name);
        return it == r.ci.end() ? std::nullopt : std::optional<fit::Interval>(it->second);
    };
    std::printf("\n  %-6s %s\n", "A", with_interval(law.A(), ci("A")).c_str());
    std::printf("  %-6s %s\n", "B", with_interval(law.B(), ci("B")).c_str());
    std::printf("  %-6s %s\n", "E", with_interval(law.E(), ci("E")).c_str());
    std::printf("  %-6s %s\n", "alpha", with_interval(law.alpha, ci("alpha")).c_str());
    std::printf("  %-6s %s\n", "beta", with_interval(law.beta, ci("beta")).c_str());
    if (r.task_law) {
        const fit::Sigmoid& s = r.task_law->fit.law;
        std::printf("\nTask law, step 2: Acc(L) = a / (1 + exp(-k (L - L0))) + b\n");
        std::printf(
            "  '%s' against '%s' at %s points, with anchors at L = 0 (%s) and the "
            "largest L (chance %s): squared error %s\n",
            r.task_law->accuracy_column.c_str(), r.loss_column.c_str(),
            with_commas(static_cast<int64_t>(r.task_law->points.size())).c_str(),
            format_metric(options.request.accuracy_max).c_str(),
            format_metric(options.request.chance).c_str(),
            format_metric(r.task_law->fit.objective).c_str());
        std::printf("  a %s, k %s, L0 %s, b %s\n", format_metric(s.a).c_str(),
                    format_metric(s.k).c_str(), format_metric(s.l0).c_str(),
                    format_metric(s.b).c_str());
    }
    std::printf("\nResiduals by size (|predicted - actual| / actual):\n");
    std::printf("  %-10s %6s %10s %10s\n", "size", "rows", "mean", "max");
    for (const auto& s : r.residuals) {
        std::printf("  %-10s %6s %9.3f%% %9.3f%%\n", s.size.c_str(), with_commas(s.rows).c_str(),
                    100 * s.mean_relative_error, 100 * s.max_relative_error);
    }
    if (!r.predictions.empty() || !r.optimal.empty()) {
        std::printf("\nPredictions:\n");
        for (const auto& p : r.predictions) {
            const std::string accuracy =
                p.accuracy ? ", accuracy " + format_metric(*p.accuracy) : "";
            std::printf("  N %s, D %s: loss %s%s\n", format_count(p.n).c_str(),
                        format_count(p.d).c_str(), with_interval(p.loss, p.ci).c_str(),
                        accuracy.c_str());
        }
        for (const auto& [c, p] : r.optimal) {
            std::printf("  C %.3g FLOPs, compute-optimal N %s, D %s: loss %s\n", c,
                        format_count(p.n).c_str(), format_count(p.d).c_str(),
                        with_interval(p.loss, p.ci).c_str());
        }
    }
    if (r.holdout_size) {
        std::printf("\nHeld-out size %s (not fitted):\n", r.holdout_size->c_str());
        for (const auto& h : r.holdout) {
            std::printf("  D %s: predicted %s, actual %s (%+.2f%%)", format_count(h.d).c_str(),
                        format_metric(h.predicted).c_str(), format_metric(h.actual).c_str(),
                        100 * h.relative_error);
            if (h.predicted_accuracy && h.actual_accuracy) {
                std::printf("; accuracy predicted %s, actual %s",
                            format_metric(*h.predicted_accuracy).c_str(),
                            format_metric(*h.actual_accuracy).c_str());
            }
            std::printf("\n");
        }
        std::printf("  mean |relative error| %.2f%%\n", 100 * r.holdout_mean_abs_relative_error);
    }
}

void fit_command(FitOptions options) {
    for (const std::string& point : options.predict) {
        const size_t colon = point.find(':');
        if (colon == std::string::npos) {
            throw UsageError("--predict: expected N:D such as 7B:140B, got '" + fit::shown(point) +
                             "'");
        }
        options.request.predict.emplace_back(parse_quantity(point.substr(0, colon), "--predict"),
                                             parse_quantity(point.substr(colon + 1), "--predict"));
    }
    for (const std::string& c : options.compute)
        options.request.compute.push_back(parse_quantity(c, "--compute"));
    check_outputs(options);
    const fit::TextTable table = fit::read_table(options.metrics_file);
    const fit::FitReport report = fit::fit_report(table, options.request);
    // Column and size names come from the table as they are: a CSV may hold bytes that are
    // not UTF-8, which dump() would throw on; they become U+FFFD instead.
    const std::string json = report_json(report, options.request)
                                 .dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    if (options.output)
        write_text_atomically(*options.output, [&](std::ostream& out) { out << json << "\n"; });
    std::vector<std::string> figures;
    if (options.plot_dir)
        figures = fit::write_fit_figures(report, *options.plot_dir);
    for (const std::string& warning : report.warnings)
        spdlog::warn("{}", warning);
    if (options.json) {
        std::cout << json << "\n";
    } else {
        print_report(report, options);
        for (const std::string& path : figures)
            std::printf("%s %s\n", path == figures.front() ? "\nFigures:" : "        ",
                        path.c_str());
    }
}

}  // namespace

void register_fit(CLI::App& app) {
    auto options = std::make_shared<FitOptions>();
    CLI::App* command = app.add_subcommand(
        "fit",
        "Fit the loss law L(N, D) = E + A/N^alpha + B/D^beta (and, with --accuracy, the "
        "two-step task law) to a metrics table and predict");
    command
        ->add_option("metrics", options->metrics_file,
                     "the table `ladder metrics` writes, as CSV or JSON Lines (.jsonl): name, "
                     "step, tokens, size, num_params, metrics...")
        ->required();
    command->add_option(
        "--loss", options->request.loss_column,
        "the loss column (default: the first eval/lm/*/CE loss, else train/CE loss)");
    command->add_option("--params-column", options->request.params_column,
                        "the column of N (default num_params: non-embedding parameters)");
    command->add_option("--tokens-column", options->request.tokens_column,
                        "the column of D (default tokens)");
    command->add_option("--rows", options->request.rows,
                        "all, post-decay (WSD-S stand-ins for annealed runs) or pre-decay "
                        "(default all)");
    command->add_option("--exclude-size", options->request.exclude_sizes, "leave out these sizes");
    command->add_option("--holdout", options->request.holdout,
                        "fit without this size (or 'largest') and report how well it is predicted");
    command->add_option("--predict", options->predict, "predict the loss at N:D, e.g. 7B:140B");
    command->add_option("--compute", options->compute,
                        "compute-optimal N and D (and their loss) for C = 6ND FLOPs, e.g. 1e23");
    command
        ->add_option("--bootstrap", options->request.bootstrap,
                     "95% intervals from this many refits of resampled rows")
        ->check(CLI::Range(int64_t{0}, int64_t{1000000}));
    command->add_option("--seed", options->request.seed, "seed of the bootstrap (default 0)");
    command->add_option("--huber-delta", options->request.huber_delta,
                        "delta of the Huber loss on ln loss (default 1e-3)");
    command->add_option("--accuracy", options->request.accuracy_column,
                        "also fit this accuracy column as a sigmoid of the --loss column (the "
                        "task loss): the two-step task law");
    command->add_option("--accuracy-max", options->request.accuracy_max,
                        "the task's accuracy at zero loss, above --chance (default 1)");
    command->add_option("--chance", options->request.chance,
                        "the task's chance accuracy, at the largest observed loss (default 0.25)");
    command->add_flag("--json", options->json, "print the fit as one JSON object");
    command->add_option("-o,--output", options->output, "also write the JSON to this file");
    command->add_option("--plot", options->plot_dir,
                        "write the figures (PNG and SVG) into this folder: loss against tokens "
                        "with the fitted curves, predicted against actual, the task sigmoid");
    command->callback([options] { fit_command(*options); });
}

}  // namespace ladder::cli
