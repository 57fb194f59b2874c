#include "data/data_loader.hpp"

#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "util/error.hpp"

namespace ladder::data {

namespace {

constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ULL;

uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// The high and low 64 bits of a·b, from 32-bit halves so no compiler extension is needed.
uint64_t multiply_high(uint64_t a, uint64_t b, uint64_t& low) {
    const uint64_t a_lo = a & 0xFFFFFFFFULL, a_hi = a >> 32;
    const uint64_t b_lo = b & 0xFFFFFFFFULL, b_hi = b >> 32;
    const uint64_t lo_lo = a_lo * b_lo, lo_hi = a_lo * b_hi;
    const uint64_t hi_lo = a_hi * b_lo, hi_hi = a_hi * b_hi;
    const uint64_t middle = (lo_lo >> 32) + (lo_hi & 0xFFFFFFFFULL) + (hi_lo & 0xFFFFFFFFULL);
    low = (middle << 32) | (lo_lo & 0xFFFFFFFFULL);
    return hi_hi + (lo_hi >> 32) + (hi_lo >> 32) + (middle >> 32);
}

class SplitMix64 {
  public:
    explicit SplitMix64(uint64_t state) : state_(state) {}

    uint64_t next() {
        state_ += kGoldenGamma;
        return mix(state_);
    }

    // Uniform in [0, range), range >= 1 (Lemire 2019, "Fast Random Integer Generation in
    // an Interval"): rejecting the low products below 2^64 mod range removes the bias.
    uint64_t bounded(uint64_t range) {
        uint64_t low;
        uint64_t high = multiply_high(next(), range, low);
        if (low < range) {
            const uint64_t threshold = (0 - range) % range;
            while (low < threshold)
                high = multiply_high(next(), range, low);
        }
        return high;
    }

  private:
    uint64_t state_;
};

}  // namespace

std::vector<uint32_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch) {
    std::vector<uint32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), uint32_t{0});
    SplitMix64 rng(mix(mix(seed) + static_cast<uint64_t>(epoch)));
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
