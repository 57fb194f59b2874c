#include "eval/task_batches.hpp"

#include <algorithm>
#include <numeric>

namespace ladder::eval {

ScoringRow scoring_row(const std::vector<int32_t>& context,
                       const std::vector<int32_t>& continuation, int64_t max_length) {
    std::vector<int32_t> query(context);
    query.insert(query.end(), continuation.begin(), continuation.end() - 1);
    if (static_cast<int64_t>(query.size()) > max_length)
        query.erase(query.begin(), query.end() - max_length);
    const auto length = static_cast<int64_t>(query.size());
    const auto cont_len = static_cast<int64_t>(continuation.size());
    const int64_t ctx_len = length - cont_len + 1;
    ScoringRow row{query, std::vector<int32_t>(query.size(), -1)};
    for (int64_t j = 0; j < cont_len; ++j) {
        const int64_t position = ctx_len - 1 + j;
        if (position >= 0)
            row.targets[static_cast<size_t>(position)] = continuation[static_cast<size_t>(j)];
    }
    return row;
}

std::vector<RowBatch> length_sorted_batches(const std::vector<ScoringRow>& rows,
                                            int64_t batch_tokens) {
    std::vector<int64_t> order(rows.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return rows[static_cast<size_t>(a)].inputs.size() >
               rows[static_cast<size_t>(b)].inputs.size();
    });
    std::vector<RowBatch> batches;
    for (size_t i = 0; i < order.size();) {
        RowBatch batch;
        batch.length = static_cast<int64_t>(rows[static_cast<size_t>(order[i])].inputs.size());
        const int64_t fits =
            std::max<int64_t>(1, batch_tokens / std::max<int64_t>(1, batch.length));
        for (int64_t k = 0; k < fits && i < order.size(); ++k, ++i)
            batch.rows.push_back(order[i]);
        batches.push_back(std::move(batch));
    }
    return batches;
}

}  // namespace ladder::eval
