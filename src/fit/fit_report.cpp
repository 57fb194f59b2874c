#include "fit/fit_report.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"
#include "util/format.hpp"
#include "util/statistics.hpp"

namespace ladder::fit {

namespace {

// Parameters of the loss law and of the accuracy sigmoid.
constexpr size_t kLossLawParameters = 5;
constexpr size_t kSigmoidParameters = 4;
// Fewer rows than this per parameter barely determine a law: the fit runs, with a warning.
constexpr size_t kRowsPerParameter = 2;

std::string default_loss_column(const TextTable& table) {
    for (const std::string& name : table.header) {
        if (name.rfind("eval/lm/", 0) == 0 && name.size() > 8 &&
            name.compare(name.size() - 8, 8, "/CE loss") == 0) {
            return name;
        }
    }
    return "train/CE loss";
}

// A bad option is named as such up front, never left to surface as a fit that "did not
// converge".
void check_request(const FitRequest& request) {
    if (request.rows != "all" && request.rows != "post-decay" && request.rows != "pre-decay") {
        throw UsageError("--rows: expected all, post-decay or pre-decay, got '" +
                         shown(request.rows) + "'");
    }
    if (!(request.huber_delta > 0) || !std::isfinite(request.huber_delta)) {
        throw UsageError("--huber-delta: expected a positive number, got " +
                         shortest_number(request.huber_delta));
    }
    if (request.bootstrap < 0) {
        throw UsageError("--bootstrap: expected a count >= 0, got " +
                         std::to_string(request.bootstrap));
    }
    for (const auto& [option, value] : {std::pair{"--accuracy-max", request.accuracy_max},
                                        std::pair{"--chance", request.chance}}) {
        if (!(value >= 0 && value <= 1)) {
            throw UsageError(std::string(option) + ": expected an accuracy in [0, 1], got " +
                             shortest_number(value));
        }
    }
    // The sigmoid falls from its maximum at zero loss to chance at the largest loss; with
    // the maximum at or below chance it has nothing to fall through.
    if (request.accuracy_max <= request.chance) {
        throw UsageError("--accuracy-max " + shortest_number(request.accuracy_max) +
                         " is at or below --chance " + shortest_number(request.chance) +
                         ": the task law needs the accuracy at zero loss above chance");
    }
}

// The columns the fit reads; npos for the optional ones a table lacks.
struct Columns {
    size_t loss, params, tokens;
    size_t size = std::string::npos, name = std::string::npos, accuracy = std::string::npos;
};

Columns columns_of(const TextTable& table, const FitRequest& request,
                   const std::string& loss_column) {
    Columns columns{table.column(loss_column), table.column(request.params_column),
                    table.column(request.tokens_column)};
    if (table.has_column("size"))
        columns.size = table.column("size");
    if (table.has_column("name"))
        columns.name = table.column("name");
    if (request.accuracy_column)
        columns.accuracy = table.column(*request.accuracy_column);
    const std::string file = "'" + shown_path(table.file) + "'";
    if ((!request.exclude_sizes.empty() || request.holdout) && columns.size == std::string::npos)
        throw UsageError(file + " has no column 'size' (needed to exclude or hold out sizes)");
    if (request.rows != "all" && columns.name == std::string::npos)
        throw UsageError(file + " has no column 'name' (needed for --rows " + request.rows + ")");
    return columns;
}

struct Row {
    std::string size;
    Observation observation;
    std::optional<double> accuracy;
    bool selected = true;  // by --rows (the sigmoid takes every row)
};

double positive_number(const TextTable& table, size_t row, size_t column) {
    const double value = table.number(row, column);
    if (!(value > 0) || !std::isfinite(value)) {
        throw UsageError(table.where(row) + ", column '" + shown(table.header[column], 60) +
                         "': expected a positive number, got " + shown(table.cell(row, column)));
    }
    return value;
}

double accuracy_value(const TextTable& table, size_t row, size_t column) {
    const double value = table.number(row, column);
    if (!(value >= 0 && value <= 1)) {
        throw UsageError(table.where(row) + ", column '" + shown(table.header[column], 60) +
                         "': expected an accuracy in [0, 1], got " +
                         shown(table.cell(row, column)));
    }
    return value;
}

// Every row with a loss, but those of excluded sizes.
std::vector<Row> read_rows(const TextTable& table, const FitRequest& request,
                           const Columns& columns) {
    std::vector<Row> rows;
    rows.reserve(table.rows());
    for (size_t r = 0; r < table.rows(); ++r) {
        Row row;
        if (columns.size != std::string::npos)
            row.size = table.cell(r, columns.size);
        if (std::count(request.exclude_sizes.begin(), request.exclude_sizes.end(), row.size))
            continue;
        if (table.cell(r, columns.loss).empty())
            continue;  // a checkpoint without this metric
        row.observation = {positive_number(table, r, columns.params),
                           positive_number(table, r, columns.tokens),
                           positive_number(table, r, columns.loss)};
        if (columns.accuracy != std::string::npos && !table.cell(r, columns.accuracy).empty())
            row.accuracy = accuracy_value(table, r, columns.accuracy);
        row.selected = request.rows == "all" ||
                       table.cell(r, columns.name).find(request.rows) != std::string_view::npos;
        rows.push_back(std::move(row));
    }
    return rows;
}

void require_known_excluded_sizes(const TextTable& table, const FitRequest& request,
                                  const Columns& columns) {
    for (const std::string& size : request.exclude_sizes) {
        bool known = false;
        for (size_t r = 0; r < table.rows() && !known; ++r)
            known = table.cell(r, columns.size) == size;
        if (!known) {
            throw UsageError("--exclude-size: no rows of size '" + shown(size) + "' in '" +
                             shown_path(table.file) + "'");
        }
    }
}

// The held-out size: trained on nothing of it, predicted afterwards. Moves its selected
// rows into report.holdout and drops all its rows from `rows`.
void hold_out(std::vector<Row>& rows, const std::string& requested, const std::string& file,
              FitReport& report) {
    std::string size = requested;
    if (size == "largest") {
        double largest = 0;
        for (const Row& row : rows) {
            if (row.selected && row.observation.n > largest) {
                largest = row.observation.n;
                size = row.size;
            }
        }
    }
    for (const Row& row : rows) {
        if (row.selected && row.size == size) {
            HoldoutRow held;
            held.n = row.observation.n;
            held.d = row.observation.d;
            held.actual = row.observation.loss;
            held.actual_accuracy = row.accuracy;
            report.holdout.push_back(held);
        }
    }
    if (report.holdout.empty()) {
        throw UsageError("--holdout: no selected rows of size '" + shown(size) + "' in '" +
                         shown_path(file) + "'");
    }
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&size](const Row& row) { return row.size == size; }),
               rows.end());
    report.holdout_size = size;
}

// Why the rows barely determine the loss law, or "" when they do: too few rows for its
// parameters, or no spread in N (alpha and A then trade off freely) or in D.
std::string loss_law_underdetermined(const std::vector<Observation>& rows) {
    const auto all_alike = [&rows](double Observation::*value) {
        return std::all_of(rows.begin(), rows.end(), [&](const Observation& row) {
            return row.*value == rows.front().*value;
        });
    };
    std::vector<std::string> reasons;
    if (rows.size() < kRowsPerParameter * kLossLawParameters)
        reasons.push_back("only " + std::to_string(rows.size()) + " rows");
    if (all_alike(&Observation::n))
        reasons.push_back("a single model size (N " + format_count(rows.front().n) + ")");
    if (all_alike(&Observation::d))
        reasons.push_back("a single token count (D " + format_count(rows.front().d) + ")");
    if (reasons.empty())
        return "";
    return "the loss law's " + std::to_string(kLossLawParameters) +
           " parameters are barely determined by " + join(reasons, " and ");
}

Interval interval_of(const std::vector<LossLaw>& laws, double (*get)(const LossLaw&)) {
    std::vector<double> values;
    for (const LossLaw& law : laws)
        values.push_back(get(law));
    return {quantile(values, 0.025), quantile(values, 0.975)};
}

void fit_the_loss_law(const std::vector<Observation>& observations, const TextTable& table,
                      const FitRequest& request, FitReport& report) {
    const std::string file = "'" + shown_path(table.file) + "'";
    if (observations.size() < kLossLawParameters) {
        throw UsageError("the loss law has 5 parameters but " + file + " gives " +
                         std::to_string(observations.size()) + " selected row(s) of '" +
                         shown(report.loss_column, 60) + "'");
    }
    const std::string underdetermined = loss_law_underdetermined(observations);
    report.fit = fit_loss_law(observations, request.huber_delta, default_starts());
    if (!report.fit.converged) {
        throw UsageError("the loss law did not converge on " + file + " (" + report.fit.status +
                         "); no parameters to report" +
                         (underdetermined.empty() ? "" : "; " + underdetermined));
    }
    if (!underdetermined.empty())
        report.warnings.push_back(underdetermined);
}

TaskLawReport fit_the_task_law(const std::vector<Row>& rows, const TextTable& table,
                               const FitRequest& request, FitReport& report) {
    TaskLawReport task;
    task.accuracy_column = *request.accuracy_column;
    for (const Row& row : rows) {
        if (row.accuracy)
            task.points.emplace_back(row.observation.loss, *row.accuracy);
    }
    const std::string file = "'" + shown_path(table.file) + "'";
    const std::string column = "'" + shown(task.accuracy_column, 60) + "'";
    if (task.points.size() < kSigmoidParameters) {
        throw UsageError("the accuracy sigmoid has 4 parameters but " + file + " gives " +
                         std::to_string(task.points.size()) + " row(s) of " + column);
    }
    const std::string underdetermined =
        task.points.size() < kRowsPerParameter * kSigmoidParameters
            ? "the accuracy sigmoid's 4 parameters are barely determined by only " +
                  std::to_string(task.points.size()) + " rows of " + column
            : "";
    task.fit = fit_sigmoid(task.points, request.accuracy_max, request.chance);
    if (!task.fit.converged) {
        throw UsageError("the accuracy sigmoid did not converge on " + file + " (" +
                         task.fit.status + "); no parameters to report" +
                         (underdetermined.empty() ? "" : "; " + underdetermined));
    }
    if (!underdetermined.empty())
        report.warnings.push_back(underdetermined);
    return task;
}

void bootstrap_intervals(const std::vector<Observation>& observations, const FitRequest& request,
                         std::vector<LossLaw>& resampled, FitReport& report) {
    resampled = bootstrap_loss_law(observations, request.huber_delta, report.fit.law,
                                   request.bootstrap, request.seed);
    report.bootstrap_fits = static_cast<int64_t>(resampled.size());
    if (resampled.empty())
        return;
    report.ci["A"] = interval_of(resampled, [](const LossLaw& l) { return l.A(); });
    report.ci["B"] = interval_of(resampled, [](const LossLaw& l) { return l.B(); });
    report.ci["E"] = interval_of(resampled, [](const LossLaw& l) { return l.E(); });
    report.ci["alpha"] = interval_of(resampled, [](const LossLaw& l) { return l.alpha; });
    report.ci["beta"] = interval_of(resampled, [](const LossLaw& l) { return l.beta; });
}

void residuals_by_size(const std::vector<Row>& rows, FitReport& report) {
    const LossLaw& law = report.fit.law;
    std::map<std::string, SizeResidual> by_size;
    std::vector<std::string> order;
    for (const Row& row : rows) {
        if (!row.selected)
            continue;
        const double error =
            std::fabs(law.predict(row.observation.n, row.observation.d) - row.observation.loss) /
            row.observation.loss;
        SizeResidual& r = by_size[row.size];
        if (r.rows == 0) {
            r.size = row.size;
            order.push_back(row.size);
        }
        r.mean_relative_error += error;
        r.max_relative_error = std::max(r.max_relative_error, error);
        ++r.rows;
    }
    for (const std::string& size : order) {
        SizeResidual r = by_size[size];
        r.mean_relative_error /= static_cast<double>(r.rows);
        report.residuals.push_back(r);
    }
}

}  // namespace

FitReport fit_report(const TextTable& table, const FitRequest& request) {
    check_request(request);
    FitReport report;
    report.loss_column = request.loss_column.value_or(default_loss_column(table));
    const Columns columns = columns_of(table, request, report.loss_column);
    std::vector<Row> rows = read_rows(table, request, columns);
    require_known_excluded_sizes(table, request, columns);
    if (request.holdout)
        hold_out(rows, *request.holdout, table.file, report);

    std::vector<Observation> observations;
    for (const Row& row : rows) {
        if (!row.selected)
            continue;
        observations.push_back(row.observation);
        report.fitted.emplace_back(row.size, row.observation);
    }
    report.rows = static_cast<int64_t>(observations.size());
    fit_the_loss_law(observations, table, request, report);
    const LossLaw& law = report.fit.law;

    std::optional<Sigmoid> sigmoid;
    if (request.accuracy_column) {
        report.task_law = fit_the_task_law(rows, table, request, report);
        sigmoid = report.task_law->fit.law;
    }

    std::vector<LossLaw> resampled;
    if (request.bootstrap > 0)
        bootstrap_intervals(observations, request, resampled, report);
    const auto predict = [&](double n, double d) {
        Prediction p{n, d, law.predict(n, d), std::nullopt, std::nullopt};
        if (sigmoid)
            p.accuracy = (*sigmoid)(p.loss);
        if (!resampled.empty()) {
            std::vector<double> values;
            for (const LossLaw& l : resampled)
                values.push_back(l.predict(n, d));
            p.ci = Interval{quantile(values, 0.025), quantile(values, 0.975)};
        }
        return p;
    };
    for (const auto& [n, d] : request.predict)
        report.predictions.push_back(predict(n, d));
    for (const double c : request.compute) {
        const auto [n, d] = law.optimal(c);
        report.optimal.emplace_back(c, predict(n, d));
    }
    for (HoldoutRow& row : report.holdout) {
        row.predicted = law.predict(row.n, row.d);
        row.relative_error = (row.predicted - row.actual) / row.actual;
        report.holdout_mean_abs_relative_error +=
            std::fabs(row.relative_error) / static_cast<double>(report.holdout.size());
        if (sigmoid)
            row.predicted_accuracy = (*sigmoid)(row.predicted);
    }
    residuals_by_size(rows, report);
    return report;
}

}  // namespace ladder::fit
