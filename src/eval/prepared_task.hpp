// A downstream task tokenized for a ladder: olmo_eval's OEEvalTask.prep_examples
// (allenai/OLMo-in-loop-evals, src/olmo_eval/tasks.py) up to the token ids, kept as JSON in
// the ladder's folder so that training and `ladder eval` read ids, never text (the
// tokenizer runs in its own process: `ladder prepare-tasks`). The query itself (context and
// continuation, cut from the left to the model's length) is built when evaluating.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/ladder_config.hpp"
#include "eval/icl_metric.hpp"

namespace ladder::eval {

struct PreparedRequest {
    int64_t doc_id = 0, cont_id = 0, label = 0;
    std::vector<int32_t> context;       // BOS first when the tokenizer has one
    std::vector<int32_t> continuation;  // encoded with its leading space
    // Of the continuation string: characters (code points) and UTF-8 bytes, with and
    // without its first character.
    int64_t chars = 0, bytes = 0, chars_no_leading_space = 0, bytes_no_leading_space = 0;
};

struct PreparedTask {
    std::string name;
    MetricType type = MetricType::kAcc;
    std::string fingerprint;
    std::vector<int32_t> domain;  // " " encoded: pmi_dc's domain-conditional context
    std::vector<PreparedRequest> requests;
};

// Where a ladder keeps task `name` prepared: <ladder dir>/tasks/<name>.json.
std::string prepared_task_path(const config::LadderConfig& config, const std::string& name);

// What encodes the tasks' text: tokenizer.path, else a byte-level preset named by
// tokenizer.name. Throws UsageError when neither is given.
std::string task_tokenizer(const config::LadderConfig& config);

// What a prepared task must have been made from, as a hex CRC-32C: the bytes of its
// requests file, its config.json and the tokenizer file, the metric type setting and the
// BOS id. Throws UsageError when a file is missing.
std::string task_fingerprint(const config::LadderConfig& config, const std::string& name);

// Whether `path` holds a prepared task made from `fingerprint`.
bool prepared_task_current(const std::string& path, const std::string& fingerprint);

// Written atomically.
void write_prepared_task(const std::string& path, const PreparedTask& task);

// Throws UsageError naming the file when it is not a prepared task, its fingerprint is not
// `fingerprint` (run `ladder prepare-tasks`), or an id is not below vocab_size.
PreparedTask read_prepared_task(const std::string& path, const std::string& fingerprint,
                                int64_t vocab_size);

// The lengths olmo_eval measures of a continuation string, with Python's len() (code points)
// and len(s.encode()) (UTF-8 bytes): chars, bytes, and both without its first character.
void set_continuation_lengths(PreparedRequest& request, const std::string& continuation);

}  // namespace ladder::eval
