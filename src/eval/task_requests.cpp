#include "eval/task_requests.hpp"

#include <filesystem>

#include "io/text_lines.hpp"
#include "util/error.hpp"
#include "util/input_file.hpp"

namespace ladder::eval {

namespace {

namespace fs = std::filesystem;

int64_t integer_field(const nlohmann::json& object, const char* key, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number_integer())
        throw UsageError(where + ": expected an integer \"" + key + "\"");
    return it->get<int64_t>();
}

std::string string_field(const nlohmann::json& object, const char* key, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string())
        throw UsageError(where + ": expected a string \"" + key + "\"");
    return it->get<std::string>();
}

std::optional<std::string> primary_metric(const std::string& config_path) {
    io::TextLines in(config_path);
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(in.rest());
    } catch (const nlohmann::json::parse_error&) {
        throw UsageError("task config '" + config_path + "': not valid JSON");
    }
    const auto task = config.find("task_config");
    if (task == config.end() || !task->is_object())
        return std::nullopt;
    const auto metric = task->find("primary_metric");
    if (metric == task->end() || !metric->is_string())
        return std::nullopt;
    return metric->get<std::string>();
}

}  // namespace

TaskPaths task_paths(const std::string& path) {
    TaskPaths paths{path, std::nullopt};
    if (fs::is_directory(path)) {
        paths.requests.clear();
        for (const char* name : {"requests.jsonl.gz", "requests.jsonl"}) {
            const fs::path candidate = fs::path(path) / name;
            if (paths.requests.empty() && fs::exists(candidate))
                paths.requests = candidate.string();
        }
        if (paths.requests.empty()) {
            throw UsageError("task folder '" + path +
                             "': no requests.jsonl.gz or requests.jsonl in it");
        }
    }
    const fs::path config = fs::path(paths.requests).parent_path() / "config.json";
    if (fs::exists(config))
        paths.config = config.string();
    return paths;
}

TaskFile read_task_file(const std::string& path) {
    TaskFile file;
    const TaskPaths paths = task_paths(path);
    file.requests_path = paths.requests;
    check_input_file(file.requests_path, "task requests file");
    if (paths.config) {
        file.config_path = paths.config;
        file.primary_metric = primary_metric(*file.config_path);
    }
    io::TextLines in(file.requests_path);
    std::string line;
    for (int64_t number = 1; in.next_line(line); ++number) {
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
        const std::string where = file.requests_path + ":" + std::to_string(number);
        const nlohmann::json r = io::parse_json_line(line, where);
        if (!r.is_object())
            throw UsageError(where + ": expected a JSON object, got " + r.type_name());
        const std::string type = string_field(r, "request_type", where);
        if (type != "loglikelihood" && type != "generate_until_and_loglikelihood") {
            throw UsageError(where + ": request_type '" + type +
                             "' is not scored by log-likelihood (expected loglikelihood)");
        }
        TaskRequest request;
        request.doc_id = integer_field(r, "doc_id", where);
        if (request.doc_id >= 1000000)
            continue;  // oe-eval's unconditional requests
        request.cont_id = integer_field(r, "idx", where);
        const auto label = r.find("label");
        if (label != r.end() && label->is_number_integer())
            request.label = label->get<int64_t>();
        const auto inner = r.find("request");
        if (inner == r.end() || !inner->is_object())
            throw UsageError(where + ": expected a \"request\" object");
        request.context = string_field(*inner, "context", where);
        request.continuation = string_field(*inner, "continuation", where);
        if (request.continuation.empty())
            throw UsageError(where + ": the continuation is empty");
        file.requests.push_back(std::move(request));
    }
    if (file.requests.empty())
        throw UsageError("task requests file '" + file.requests_path + "': no requests");
    return file;
}

MetricType task_metric_type(const std::string& task, const TaskFile& file,
                            const std::optional<std::string>& configured) {
    if (configured) {
        if (const auto type = parse_metric_type(*configured))
            return *type;
        throw UsageError("trainer.callbacks.downstream_evaluator.metric_types." + task +
                         ": expected acc, len_norm, pmi_dc, ce_loss or bpb, got '" + *configured +
                         "'");
    }
    if (file.primary_metric) {
        if (const auto type = metric_type_from_oe_eval(*file.primary_metric))
            return *type;
    }
    throw UsageError(
        "task " + task + ": " +
        (file.primary_metric
             ? "its primary metric '" + *file.primary_metric + "' maps to no type"
             : "no config.json with a primary metric beside '" + file.requests_path + "'") +
        "; set trainer.callbacks.downstream_evaluator.metric_types." + task +
        " (acc, len_norm, pmi_dc, ce_loss or bpb)");
}

std::vector<TaskRequest> scored_requests(const TaskFile& file, MetricType type) {
    std::vector<TaskRequest> kept;
    const bool gold_only = type == MetricType::kCeLoss || type == MetricType::kBpb;
    for (const TaskRequest& request : file.requests) {
        if (gold_only) {
            if (request.label.value_or(request.cont_id) != request.cont_id)
                continue;  // another continuation than the gold one
            TaskRequest gold = request;
            gold.cont_id = 0;
            gold.label = 0;
            kept.push_back(std::move(gold));
            continue;
        }
        if (!request.label) {
            throw UsageError("task requests file '" + file.requests_path + "': doc_id " +
                             std::to_string(request.doc_id) +
                             " has no integer label, which multiple-choice scoring needs");
        }
        kept.push_back(request);
    }
    return kept;
}

}  // namespace ladder::eval
