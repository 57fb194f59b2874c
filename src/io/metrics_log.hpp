// The metrics.jsonl log a run appends to while it trains: one JSON object per logged
// optimizer step, `{"step": 10, "tokens": 40960, "train/CE loss": 5.38, ...}`, a metric
// null where it was not finite and absent on steps that did not compute it (evals).
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "io/metrics_table.hpp"

namespace ladder::io {

// "metrics.jsonl"
extern const char* const kMetricsLogFile;

struct MetricsLogRow {
    int64_t step = 0;
    int64_t tokens = 0;
    MetricValues metrics;  // the kept metrics this line has; nullopt for null
};

struct MetricsLog {
    std::vector<MetricsLogRow> rows;  // by step, one per step
    std::vector<std::string> names;   // every metric name in the log, kept or not, sorted
};

// Which metrics to keep in the rows (a log holds dozens; a long run, 100,000s of lines).
using MetricFilter = std::function<bool(const std::string& name)>;

// Reads a log; `source` names it in errors. Every line must be a JSON object with integer
// `step` and `tokens` >= 0 and numbers or null for the rest, else a UsageError names the
// source and line number. Blank lines are skipped. A resumed run logs its steps after the
// checkpoint again, so for a step logged twice the later line wins. The last line may be
// cut short when the run is writing it (or crashed while it did): without its newline
// and unparseable, it is left out with a warning.
MetricsLog parse_metrics_log(std::istream& in, const std::string& source, const MetricFilter& keep);

// parse_metrics_log of the file at `path`; a file that cannot be opened is a UsageError.
MetricsLog read_metrics_log(const std::string& path, const MetricFilter& keep);

}  // namespace ladder::io
