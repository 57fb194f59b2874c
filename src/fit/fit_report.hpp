// `ladder fit`'s work on a metrics table: select rows, fit the loss law (and with an
// accuracy column the two-step task law), bootstrap, predict, and check the held-out
// size. Pure data in, pure data out; the command prints it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fit/loss_law.hpp"
#include "fit/task_law.hpp"
#include "fit/text_table.hpp"

namespace ladder::fit {

struct FitRequest {
    std::optional<std::string>
        loss_column;  // default: the first eval/lm/*/CE loss, else train/CE loss
    std::string params_column = "num_params";
    std::string tokens_column = "tokens";
    std::string rows = "all";  // all | post-decay | pre-decay (by the `name` column)
    std::vector<std::string> exclude_sizes;
    std::optional<std::string> holdout;              // "largest" or a size
    std::vector<std::pair<double, double>> predict;  // (N, D)
    std::vector<double> compute;                     // budgets C = 6ND
    int64_t bootstrap = 0;
    uint64_t seed = 0;
    double huber_delta = 1e-3;
    // The task law: step 1 fits the loss column (the task loss) with the loss law, step 2
    // this accuracy column as a sigmoid of it, over every row (not only --rows).
    std::optional<std::string> accuracy_column;
    double accuracy_max = 1.0;  // at zero loss, in (chance, 1]
    double chance = 0.25;       // at the largest observed loss, in [0, accuracy_max)
};

using Interval = std::pair<double, double>;  // 2.5% and 97.5% bootstrap quantiles

struct Prediction {
    double n = 0, d = 0, loss = 0;
    std::optional<Interval> ci;
    std::optional<double> accuracy;  // with the task law
};

struct SizeResidual {
    std::string size;
    int64_t rows = 0;
    double mean_relative_error = 0, max_relative_error = 0;
};

struct HoldoutRow {
    double n = 0, d = 0, actual = 0, predicted = 0;
    double relative_error = 0;                                  // (predicted - actual) / actual
    std::optional<double> actual_accuracy, predicted_accuracy;  // with the task law
};

struct TaskLawReport {
    std::string accuracy_column;
    std::vector<std::pair<double, double>> points;  // (loss, accuracy), anchors not included
    SigmoidFit fit;
};

struct FitReport {
    std::string loss_column;
    int64_t rows = 0;
    std::vector<std::pair<std::string, Observation>> fitted;  // (size, row) the law was fitted to
    LossLawFit fit;
    int64_t bootstrap_fits = 0;
    std::map<std::string, Interval> ci;  // A, B, E, alpha, beta (with --bootstrap)
    std::vector<SizeResidual> residuals;
    std::vector<Prediction> predictions;
    std::vector<std::pair<double, Prediction>> optimal;  // (C, prediction at optimal N, D)
    std::optional<std::string> holdout_size;
    std::vector<HoldoutRow> holdout;
    double holdout_mean_abs_relative_error = 0;
    std::optional<TaskLawReport> task_law;
    // One line each, for the command to print: rows that barely determine a law.
    std::vector<std::string> warnings;
};

// Throws UsageError (one line naming the option, or the file and its row and column) for
// an option out of its range, missing columns, non-positive values, accuracies outside
// [0, 1], too few rows, an unknown size, or a fit that did not converge.
FitReport fit_report(const TextTable& table, const FitRequest& request);

}  // namespace ladder::fit
