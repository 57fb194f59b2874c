#include "train/metric_saver.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/run_discovery.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/input_file.hpp"

namespace ladder::train {

void MetricSaver::merge(const Metrics& metrics) {
    for (const auto& [name, value] : metrics) {
        const bool wanted =
            capture_.empty() ||
            std::any_of(capture_.begin(), capture_.end(), [&name = name](const std::string& glob) {
                return fnmatch(glob.c_str(), name.c_str(), 0) == 0;
            });
        if (wanted)
            latest_[name] = value;
    }
}

bool MetricSaver::due(int64_t step) const {
    return step > 0 &&
           (save_steps_.count(step) > 0 || (save_interval_ && step % *save_interval_ == 0));
}

bool MetricSaver::wants_metrics(const TrainProgress& progress) const {
    return due(progress.step);
}

void MetricSaver::log_metrics(const TrainProgress& progress, const Metrics& metrics) {
    if (!main_rank_)
        return;
    merge(metrics);
    if (due(progress.step))
        write(io::metrics_file_name(progress.step));
}

// A run started again after its last step logs nothing and keeps the metrics.json it has.
void MetricSaver::post_train(const TrainProgress& progress) {
    if (main_rank_ && progress.stop_reason.empty() && !latest_.empty())
        write("metrics.json");
}

void MetricSaver::write(const std::string& file) const {
    namespace fs = std::filesystem;
    fs::create_directories(save_folder_);
    const std::string path = (fs::path(save_folder_) / file).string();
    nlohmann::json json = nlohmann::json::object();
    for (const auto& [name, value] : latest_)
        json[name] = value;
    write_metrics_json(path, json);
}

void write_metrics_json(const std::string& path, const nlohmann::json& json) {
    write_text_atomically(path, [&](std::ostream& out) { out << json.dump(2) << "\n"; });
}

void merge_metrics_file(const std::string& path, const Metrics& metrics) {
    nlohmann::json json = nlohmann::json::object();
    if (std::filesystem::exists(path)) {
        try {
            json = nlohmann::json::parse(read_input_file(path, "metrics file", uint64_t{1} << 30));
        } catch (const nlohmann::json::parse_error&) {
            throw UsageError("metrics file '" + path + "': not valid JSON");
        }
        if (!json.is_object())
            throw UsageError("metrics file '" + path + "': expected a JSON object");
    }
    for (const auto& [name, value] : metrics)
        json[name] = value;
    write_metrics_json(path, json);
}

}  // namespace ladder::train
