#include "data/data_loader.hpp"

#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "util/error.hpp"
#include "util/split_mix64.hpp"

namespace ladder::data {

std::vector<uint32_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch) {
    std::vector<uint32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), uint32_t{0});
    SplitMix64 rng(split_mix64_mix(split_mix64_mix(seed) + static_cast<uint64_t>(epoch)));
    for (int64_t i = n - 1; i > 0; --i) {
        const auto j = static_cast<int64_t>(rng.bounded(static_cast<uint64_t>(i) + 1));
        std::swap(order[i], order[j]);
    }
    return order;
}

DataLoader::DataLoader(const InstanceSource& source, int64_t global_batch_instances, int64_t rank,
                       int64_t dp_world_size, uint64_t seed, bool shuffle)
    : source_(&source),
      global_batch_instances_(global_batch_instances),
      rank_(rank),
      dp_world_size_(dp_world_size),
      seed_(seed),
      shuffle_(shuffle) {
    const int64_t n = source.num_instances();
    if (dp_world_size <= 0 || rank < 0 || rank >= dp_world_size) {
        throw UsageError("data: rank " + std::to_string(rank) +
                         " is outside a data-parallel world of size " +
                         std::to_string(dp_world_size));
    }
    if (global_batch_instances <= 0 || global_batch_instances % dp_world_size != 0) {
        throw UsageError("data: a global batch of " + std::to_string(global_batch_instances) +
                         " instances does not split evenly over " + std::to_string(dp_world_size) +
                         " data-parallel ranks");
    }
    if (n < global_batch_instances) {
        throw UsageError("data: " + std::to_string(n) + " instances of " +
                         std::to_string(source.sequence_length()) +
                         " tokens, fewer than one global batch of " +
                         std::to_string(global_batch_instances));
    }
    if (n > static_cast<int64_t>(std::numeric_limits<uint32_t>::max())) {
        throw UsageError("data: " + std::to_string(n) +
                         " instances, more than the loader's limit of 4294967295 (use a "
                         "longer sequence length)");
    }
    batches_per_epoch_ = n / global_batch_instances;
    start_epoch(1);
}

void DataLoader::start_epoch(int64_t epoch) {
    epoch_ = epoch;
    batches_processed_ = 0;
    const int64_t n = source_->num_instances();
    if (shuffle_) {
        order_ = shuffled_order(n, seed_, epoch);
    } else if (static_cast<int64_t>(order_.size()) != n) {
        order_.resize(static_cast<size_t>(n));
        std::iota(order_.begin(), order_.end(), uint32_t{0});
    }
}

bool DataLoader::next_batch(std::vector<int32_t>& tokens) {
    if (batches_processed_ == batches_per_epoch_)
        start_epoch(epoch_ + 1);
    const int64_t seq = source_->sequence_length();
    const int64_t rows = rank_batch_instances();
    tokens.resize(static_cast<size_t>(rows * seq));
    last_indices_.resize(static_cast<size_t>(rows));
    const int64_t batch_start = batches_processed_ * global_batch_instances_;
    for (int64_t row = 0; row < rows; ++row) {
        const int64_t index = order_[batch_start + rank_ + row * dp_world_size_];
        source_->check_instance(index);
        source_->read_instance(index, tokens.data() + row * seq);
        last_indices_[row] = index;
    }
    ++batches_processed_;
    return true;
}

int64_t DataLoader::epochs_completed() const {
    return epoch_ - 1 + (batches_processed_ == batches_per_epoch_ ? 1 : 0);
}

void DataLoader::restore(const LoaderState& state) {
    if (state.epoch < 1 || state.batches_processed < 0 ||
        state.batches_processed > batches_per_epoch_) {
        throw UsageError("data loader state: epoch " + std::to_string(state.epoch) + ", batch " +
                         std::to_string(state.batches_processed) +
                         " is not a place in this data (epochs count from 1; " +
                         std::to_string(batches_per_epoch_) + " batches per epoch)");
    }
    if (state.epoch != epoch_ || order_.empty())
        start_epoch(state.epoch);
    batches_processed_ = state.batches_processed;
    last_indices_.clear();
}

}  // namespace ladder::data
