#include "io/metrics_table.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "util/error.hpp"

namespace ladder::io {

MetricValues read_metrics_file(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw UsageError("cannot read metrics file '" + path + "'");
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
        std::string reason = e.what();
        const size_t tag = reason.find("] ");  // drop nlohmann's "[json.exception...]" tag
        throw UsageError("malformed metrics file '" + path +
                         "': " + (tag == std::string::npos ? reason : reason.substr(tag + 2)));
    }
    if (!json.is_object())
        throw UsageError("malformed metrics file '" + path +
                         "': expected a JSON object of metric name -> number");
    MetricValues values;
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (it->is_null()) {
            values[it.key()] = std::nullopt;
        } else if (it->is_number()) {
            values[it.key()] = it->get<double>();
        } else {
            throw UsageError("malformed metrics file '" + path + "': metric '" + it.key() +
                             "' is " + it->type_name() + ", not a number");
        }
    }
    return values;
}

size_t MetricsTable::add_run(const RunPlan& plan,
                             const std::vector<RunCheckpointInfo>& checkpoints) {
    size_t added = 0;
    for (const auto& checkpoint : checkpoints) {
        if (!checkpoint.metrics_path)
            continue;
        MetricsRow row;
        row.name = checkpoint.name;
        row.step = checkpoint.step;
        row.tokens = checkpoint.tokens;
        row.size = plan.size;
        row.num_params = plan.num_non_embedding_params;
        row.metrics = read_metrics_file(*checkpoint.metrics_path);
        add_row(std::move(row));
        ++added;
    }
    return added;
}

void MetricsTable::add_row(MetricsRow row) {
    const auto& fixed = fixed_columns();
    for (auto it = row.metrics.begin(); it != row.metrics.end();) {
        // The row's own columns win over a metric of the same name, as in OLMo-core.
        const bool keep = it->first.compare(0, prefix_.size(), prefix_) == 0 &&
                          std::find(fixed.begin(), fixed.end(), it->first) == fixed.end();
        it = keep ? std::next(it) : row.metrics.erase(it);
    }
    rows_.push_back(std::move(row));
}

const std::vector<std::string>& MetricsTable::fixed_columns() {
    static const std::vector<std::string> columns = {"name", "step", "tokens", "size",
                                                     "num_params"};
    return columns;
}

std::vector<std::string> MetricsTable::metric_columns() const {
    std::set<std::string> names;
    for (const auto& row : rows_) {
        for (const auto& entry : row.metrics)
            names.insert(entry.first);
    }
    return {names.begin(), names.end()};
}

std::vector<std::string> MetricsTable::columns() const {
    std::vector<std::string> columns = fixed_columns();
    for (auto& name : metric_columns())
        columns.push_back(std::move(name));
    return columns;
}

}  // namespace ladder::io
