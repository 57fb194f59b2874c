#include "fit/fit_report.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"
#include "util/statistics.hpp"

namespace ladder::fit {

namespace {

std::string default_loss_column(const CsvTable& table) {
    for (const std::string& name : table.header) {
        if (name.rfind("eval/lm/", 0) == 0 && name.size() > 8 &&
            name.compare(name.size() - 8, 8, "/CE loss") == 0) {
            return name;
        }
    }
    return "train/CE loss";
}

struct Row {
    std::string size;
    Observation observation;
    std::optional<double> accuracy;
};

Interval interval_of(const std::vector<LossLaw>& laws, double (*get)(const LossLaw&)) {
    std::vector<double> values;
    for (const LossLaw& law : laws)
        values.push_back(get(law));
    return {quantile(values, 0.025), quantile(values, 0.975)};
}

}  // namespace

FitReport fit_report(const CsvTable& table, const FitRequest& request) {
    if (request.rows != "all" && request.rows != "post-decay" && request.rows != "pre-decay")
        throw UsageError("--rows: expected all, post-decay or pre-decay, got '" + request.rows +
                         "'");
    FitReport report;
    report.loss_column = request.loss_column.value_or(default_loss_column(table));
    const size_t loss = table.column(report.loss_column);
    const size_t params = table.column(request.params_column);
    const size_t tokens = table.column(request.tokens_column);
    const bool has_size = table.has_column("size");
    const bool has_name = table.has_column("name");
    const size_t size_column = has_size ? table.column("size") : 0;
    const size_t name_column = has_name ? table.column("name") : 0;
    if ((!request.exclude_sizes.empty() || request.holdout) && !has_size)
        throw UsageError("'" + table.file +
                         "' has no column 'size' (needed to exclude or hold out sizes)");
    if (request.rows != "all" && !has_name) {
        throw UsageError("'" + table.file + "' has no column 'name' (needed for --rows " +
                         request.rows + ")");
    }

    // The accuracy column's index, or npos without --accuracy.
    const size_t accuracy =
        request.accuracy_column ? table.column(*request.accuracy_column) : std::string::npos;
    std::vector<Row> rows, every_row;  // selected by --rows; all (for the sigmoid)
    for (size_t r = 0; r < table.rows.size(); ++r) {
        const bool selected = request.rows == "all" ||
                              table.rows[r][name_column].find(request.rows) != std::string::npos;
        Row row;
        row.size = has_size ? table.rows[r][size_column] : "";
        if (std::count(request.exclude_sizes.begin(), request.exclude_sizes.end(), row.size))
            continue;
        if (table.rows[r][loss].empty())
            continue;  // a checkpoint without this metric
        row.observation = {table.number(r, params), table.number(r, tokens), table.number(r, loss)};
        for (const auto& [value, column] :
             {std::pair{row.observation.n, params}, std::pair{row.observation.d, tokens},
              std::pair{row.observation.loss, loss}}) {
            if (!(value > 0) || !std::isfinite(value)) {
                throw UsageError("'" + table.file + "' row " + std::to_string(r + 1) +
                                 ", column '" + table.header[column] +
                                 "': expected a positive number, got " + table.rows[r][column]);
            }
        }
        if (accuracy != std::string::npos && !table.rows[r][accuracy].empty())
            row.accuracy = table.number(r, accuracy);
        every_row.push_back(row);
        if (selected)
            rows.push_back(row);
    }
    for (const std::string& size : request.exclude_sizes) {
        const bool known =
            has_size && std::any_of(table.rows.begin(), table.rows.end(),
                                    [&](const auto& r) { return r[size_column] == size; });
        if (!known)
            throw UsageError("--exclude-size: no rows of size '" + size + "' in '" + table.file +
                             "'");
    }

    // The held-out size: trained on nothing of it, predicted afterwards.
    if (request.holdout) {
        std::string size = *request.holdout;
        if (size == "largest") {
            double largest = 0;
            for (const Row& row : rows) {
                if (row.observation.n > largest) {
                    largest = row.observation.n;
                    size = row.size;
                }
            }
        }
        std::vector<Row> kept;
        for (const Row& row : rows) {
            if (row.size == size) {
                HoldoutRow held;
                held.n = row.observation.n;
                held.d = row.observation.d;
                held.actual = row.observation.loss;
                held.actual_accuracy = row.accuracy;
                report.holdout.push_back(held);
            } else {
                kept.push_back(row);
            }
        }
        every_row.erase(std::remove_if(every_row.begin(), every_row.end(),
                                       [&size](const Row& row) { return row.size == size; }),
                        every_row.end());
        if (report.holdout.empty())
            throw UsageError("--holdout: no selected rows of size '" + size + "' in '" +
                             table.file + "'");
        report.holdout_size = size;
        rows = std::move(kept);
    }

    std::vector<Observation> observations;
    for (const Row& row : rows) {
        observations.push_back(row.observation);
        report.fitted.emplace_back(row.size, row.observation);
    }
    report.rows = static_cast<int64_t>(observations.size());
    if (observations.size() < 5) {
        throw UsageError("the loss law has 5 parameters but '" + table.file + "' gives " +
                         std::to_string(observations.size()) + " selected row(s) of '" +
                         report.loss_column + "'");
    }
    report.fit = fit_loss_law(observations, request.huber_delta, default_starts());
    if (!report.fit.converged) {
        throw UsageError("the loss law did not converge on '" + table.file + "' (" +
                         report.fit.status + "); no parameters to report");
    }
    const LossLaw& law = report.fit.law;

    std::optional<Sigmoid> sigmoid;
    if (accuracy != std::string::npos) {
        TaskLawReport task;
        task.accuracy_column = *request.accuracy_column;
        std::vector<std::pair<double, double>> points;
        for (const Row& row : every_row) {
            if (row.accuracy)
                points.emplace_back(row.observation.loss, *row.accuracy);
        }
        task.points = points;
        if (points.size() < 4) {
            throw UsageError("the accuracy sigmoid has 4 parameters but '" + table.file +
                             "' gives " + std::to_string(points.size()) + " row(s) of '" +
                             task.accuracy_column + "'");
        }
        task.fit = fit_sigmoid(points, request.accuracy_max, request.chance);
        if (!task.fit.converged) {
            throw UsageError("the accuracy sigmoid did not converge on '" + table.file + "' (" +
                             task.fit.status + "); no parameters to report");
        }
        sigmoid = task.fit.law;
        report.task_law = task;
    }

    std::vector<LossLaw> resampled;
    if (request.bootstrap > 0) {
        resampled = bootstrap_loss_law(observations, request.huber_delta, law, request.bootstrap,
                                       request.seed);
        report.bootstrap_fits = static_cast<int64_t>(resampled.size());
        if (!resampled.empty()) {
            report.ci["A"] = interval_of(resampled, [](const LossLaw& l) { return l.A(); });
            report.ci["B"] = interval_of(resampled, [](const LossLaw& l) { return l.B(); });
            report.ci["E"] = interval_of(resampled, [](const LossLaw& l) { return l.E(); });
            report.ci["alpha"] = interval_of(resampled, [](const LossLaw& l) { return l.alpha; });
            report.ci["beta"] = interval_of(resampled, [](const LossLaw& l) { return l.beta; });
        }
    }
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

    std::map<std::string, SizeResidual> by_size;
    std::vector<std::string> order;
    for (const Row& row : rows) {
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
    return report;
}

}  // namespace ladder::fit
