#include "train/metrics_jsonl.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "io/metrics_log.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace ladder::train {

namespace {

// The step of a metrics line, or nullopt when the line is not one.
std::optional<int64_t> step_of(const std::string& line) {
    const auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object() || !record.contains("step") || !record.at("step").is_number_integer())
        return std::nullopt;
    return record.at("step").get<int64_t>();
}

}  // namespace

MetricsJsonl::MetricsJsonl(std::string run_folder)
    : path_((std::filesystem::path(std::move(run_folder)) / io::kMetricsLogFile).string()) {}

void MetricsJsonl::pre_train(const TrainProgress& progress) {
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
    const bool resumed = progress.step > 0;
    if (resumed && std::filesystem::exists(path_))
        keep_lines_up_to(progress.step);
    out_.open(path_, resumed ? std::ios::app : std::ios::trunc);
    if (!out_)
        throw UsageError("cannot write '" + path_ + "'");
}

void MetricsJsonl::keep_lines_up_to(int64_t step) const {
    std::ifstream in(path_);
    if (!in)
        throw UsageError("cannot read '" + path_ + "'");
    write_text_atomically(path_, [&](std::ostream& out) {
        std::string line;
        for (int64_t number = 1; std::getline(in, line); ++number) {
            if (line.empty())
                continue;
            const std::optional<int64_t> line_step = step_of(line);
            // A crash while a line was written leaves it without its newline.
            const bool torn = in.eof();
            if (!line_step && torn)
                break;
            if (!line_step)
                throw UsageError("'" + path_ + "' line " + std::to_string(number) +
                                 " is not a JSON metrics record");
            if (*line_step <= step)
                out << line << '\n';
        }
    });
}

void MetricsJsonl::log_metrics(const TrainProgress& progress, const Metrics& metrics) {
    nlohmann::ordered_json record;
    record["step"] = progress.step;
    record["tokens"] = progress.tokens_seen;
    // emplace never replaces, so a metric named "step" or "tokens" cannot hide them; dump()
    // writes a non-finite number as null.
    for (const auto& [name, value] : metrics)
        record.emplace(name, value);
    out_ << record.dump() << '\n';
    out_.flush();
    if (!out_)
        throw std::runtime_error("cannot write '" + path_ + "'");
}

void MetricsJsonl::post_train(const TrainProgress&) {
    out_.close();
}

}  // namespace ladder::train
