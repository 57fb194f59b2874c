// Downstream requests as model inputs: each request's query (context and continuation but
// its last token, cut from the left to the model's length, as olmo_eval's
// OEEvalTask.prep_examples builds it), the continuation's tokens as the targets of the
// positions that predict them, and batches of queries sorted by length so that little of a
// batch is padding.
#pragma once

#include <cstdint>
#include <vector>

#include "eval/prepared_task.hpp"

namespace ladder::eval {

// One forward-pass row: input ids and, per position, the id it must predict (-1: none).
struct ScoringRow {
    std::vector<int32_t> inputs;
    std::vector<int32_t> targets;
};

// The row of `context` then `continuation`: query = (context + continuation[:-1]) keeping
// its last `max_length` tokens; position ctx_len - 1 + j predicts continuation[j], with
// ctx_len = len(query) - len(continuation) + 1. A continuation longer than max_length
// keeps its last max_length tokens scored.
ScoringRow scoring_row(const std::vector<int32_t>& context,
                       const std::vector<int32_t>& continuation, int64_t max_length);

// A batch: rows (indices into the task's rows) padded to `length`.
struct RowBatch {
    std::vector<int64_t> rows;
    int64_t length = 0;
};

// The rows, longest first (ties in order), cut greedily into batches of at most
// `batch_tokens` tokens counting padding (at least one row each).
std::vector<RowBatch> length_sorted_batches(const std::vector<ScoringRow>& rows,
                                            int64_t batch_tokens);

}  // namespace ladder::eval
