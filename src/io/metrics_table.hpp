// olmo_core/model_ladder/base.py, ModelLadder.get_metrics: the metrics file of every checkpoint of
// one or more runs, one row each, as one table with the columns
//   name, step, tokens, size, num_params, <every metric key, sorted>
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/run_discovery.hpp"
#include "ladder/run_plan.hpp"

namespace ladder::io {

// Metric name -> value; nullopt for a JSON null (how a NaN is written).
using MetricValues = std::map<std::string, std::optional<double>>;

// Reads a flat JSON object of metric name -> number (or null). Throws UsageError naming
// the file when it cannot be read or is not such an object.
MetricValues read_metrics_file(const std::string& path);

struct MetricsRow {
    std::string name;  // the checkpoint's name
    int64_t step = 0;
    int64_t tokens = 0;
    std::string size;
    int64_t num_params = 0;  // non-embedding
    MetricValues metrics;
};

class MetricsTable {
  public:
    // Keeps only metrics whose names start with `prefix` ("" keeps all).
    explicit MetricsTable(std::string prefix = {}) : prefix_(std::move(prefix)) {}

    // One row for each checkpoint that has a metrics file, in the given order; returns
    // how many rows were added.
    size_t add_run(const RunPlan& plan, const std::vector<RunCheckpointInfo>& checkpoints);
    void add_row(MetricsRow row);

    // name, step, tokens, size, num_params
    static const std::vector<std::string>& fixed_columns();
    // The union of the rows' metric names, sorted.
    std::vector<std::string> metric_columns() const;
    std::vector<std::string> columns() const;
    const std::vector<MetricsRow>& rows() const { return rows_; }
    bool empty() const { return rows_.empty(); }

  private:
    std::string prefix_;
    std::vector<MetricsRow> rows_;
};

}  // namespace ladder::io
