// `ladder fit`'s loss-law work on a metrics table: select rows, fit, bootstrap, predict,
// and check the held-out size. Pure data in, pure data out; the command prints it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fit/csv_table.hpp"
#include "fit/loss_law.hpp"

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
};

using Interval = std::pair<double, double>;  // 2.5% and 97.5% bootstrap quantiles

struct Prediction {
    double n = 0, d = 0, loss = 0;
    std::optional<Interval> ci;
};

struct SizeResidual {
    std::string size;
    int64_t rows = 0;
    double mean_relative_error = 0, max_relative_error = 0;
};

struct HoldoutRow {
    double n = 0, d = 0, actual = 0, predicted = 0;
};

struct LossLawReport {
    std::string loss_column;
    int64_t rows = 0;
    LossLawFit fit;
    int64_t bootstrap_fits = 0;
    std::map<std::string, Interval> ci;  // A, B, E, alpha, beta (with --bootstrap)
    std::vector<SizeResidual> residuals;
    std::vector<Prediction> predictions;
    std::vector<std::pair<double, Prediction>> optimal;  // (C, prediction at optimal N, D)
    std::optional<std::string> holdout_size;
    std::vector<HoldoutRow> holdout;
};

// Throws UsageError (one line naming the file, column or size) for missing columns,
// non-positive values, too few rows, an unknown size, or a fit that did not converge.
LossLawReport fit_loss_law_report(const CsvTable& table, const FitRequest& request);

}  // namespace ladder::fit
