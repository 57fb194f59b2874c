#include "io/metrics_log.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "util/error.hpp"

namespace ladder::io {

const char* const kMetricsLogFile = "metrics.jsonl";

namespace {

using nlohmann::json;

struct LineError {
    std::string reason;
};

int64_t whole_number(const json& line, const char* key) {
    const auto it = line.find(key);
    if (it == line.end())
        throw LineError{std::string("no \"") + key + "\""};
    const bool fits =
        it->is_number_integer() &&
        (!it->is_number_unsigned() ||
         it->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
    if (!fits || it->get<int64_t>() < 0) {
        throw LineError{std::string("\"") + key + "\" is " + it->dump() +
                        ", not a whole number >= 0"};
    }
    return it->get<int64_t>();
}

MetricsLogRow parse_row(const json& line, const MetricFilter& keep, std::set<std::string>& names) {
    if (!line.is_object())
        throw LineError{std::string("expected a JSON object, got ") + line.type_name()};
    MetricsLogRow row;
    row.step = whole_number(line, "step");
    row.tokens = whole_number(line, "tokens");
    for (auto it = line.begin(); it != line.end(); ++it) {
        if (it.key() == "step" || it.key() == "tokens")
            continue;
        if (!it->is_null() && !it->is_number()) {
            throw LineError{"metric '" + it.key() + "' is " + it->type_name() +
                            ", not a number or null"};
        }
        names.insert(it.key());
        if (keep(it.key())) {
            row.metrics[it.key()] =
                it->is_null() ? std::nullopt : std::optional<double>(it->get<double>());
        }
    }
    return row;
}

// nlohmann's message from the column on: its "[json.exception.parse_error.101] parse error
// at line 1," would contradict the line number of the file.
std::string parse_reason(const json::parse_error& e) {
    const std::string what = e.what();
    const size_t column = what.find("column ");
    return column == std::string::npos ? what : what.substr(column);
}

}  // namespace

MetricsLog parse_metrics_log(std::istream& in, const std::string& source,
                             const MetricFilter& keep) {
    std::map<int64_t, MetricsLogRow> by_step;
    std::set<std::string> names;
    std::string text;
    for (int64_t number = 1; std::getline(in, text); ++number) {
        if (text.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        const bool unfinished = in.eof();  // no newline after it
        try {
            json line;
            try {
                line = json::parse(text);
            } catch (const json::parse_error& e) {
                if (unfinished) {
                    spdlog::warn(
                        "'{}' line {} is unfinished (being written, or cut by a "
                        "crash); left out",
                        source, number);
                    break;
                }
                throw LineError{parse_reason(e)};
            }
            MetricsLogRow row = parse_row(line, keep, names);
            by_step[row.step] = std::move(row);
        } catch (const LineError& e) {
            throw UsageError("malformed metrics log '" + source + "' line " +
                             std::to_string(number) + ": " + e.reason);
        }
    }
    MetricsLog log;
    log.rows.reserve(by_step.size());
    for (auto& entry : by_step)
        log.rows.push_back(std::move(entry.second));
    log.names.assign(names.begin(), names.end());
    return log;
}

MetricsLog read_metrics_log(const std::string& path, const MetricFilter& keep) {
    std::ifstream in(path);
    if (!in)
        throw UsageError("cannot read metrics log '" + path + "'");
    return parse_metrics_log(in, path, keep);
}

}  // namespace ladder::io
