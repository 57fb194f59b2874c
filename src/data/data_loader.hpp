// The training data loader: a deterministic shuffle per (seed, epoch), global batches of
// whole instances, and each data-parallel rank's strided share, as OLMo-core's
// ComposableDataLoader (olmo_core/data/composable/data_loader.py, get_global_indices and
// _get_local_instance_indices) does it, with our own PRNG in place of numpy's PCG64.
#pragma once

#include <cstdint>
#include <vector>

#include "data/instance_source.hpp"

namespace ladder::data {

// The order of instances [0, n) in epoch `epoch` (OLMo-core counts epochs from 1). Fixed
// here, with no std:: distribution (whose results differ between standard libraries), so
// every platform gives the same order:
//  - generator: SplitMix64 (Steele, Lea & Flood 2014): state += 0x9E3779B97F4A7C15, output
//    mix(state), where mix(z) = z ^= z >> 30, z *= 0xBF58476D1CE4E5B9, z ^= z >> 27,
//    z *= 0x94D049BB133111EB, z ^= z >> 31;
//  - initial state: mix(mix(seed) + epoch), hashed so that neighbouring seeds or epochs do
//    not start on overlapping stretches of one stream;
//  - bounded integers in [0, r): Lemire's multiply-shift with rejection (unbiased): take the
//    high 64 bits of x·r (128-bit product), redrawing x while the low 64 bits are below
//    2^64 mod r;
//  - Fisher-Yates: for i = n-1 down to 1, swap(order[i], order[bounded(i + 1)]).
// n must be below 2^32 (as in OLMo-core's uint32 index files).
std::vector<uint32_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch);

// Where a loader is: the epoch (from 1) and how many global batches of it it has returned.
// {e, batches_per_epoch()} and {e + 1, 0} are the same place.
struct LoaderState {
    int64_t epoch = 1;
    int64_t batches_processed = 0;
};

// Per epoch: the shuffled instances, the tail dropped so batches_per_epoch() =
// floor(n / B) for a global batch of B instances; batch b is shuffled positions
// [b·B, (b+1)·B), and rank r of a data-parallel world of size dp takes its columns r, r+dp,
// r+2dp, ... (B/dp instances). Every rank builds the same order from the same seed, so the
// ranks' shares of a batch are disjoint and together make the whole batch.
class DataLoader {
  public:
    // Keeps a reference to `source`, which must outlive the loader. Throws UsageError when B
    // is not a positive multiple of dp, the rank is outside [0, dp), or the source has fewer
    // instances than one global batch.
    DataLoader(const InstanceSource& source, int64_t global_batch_instances, int64_t rank,
               int64_t dp_world_size, uint64_t seed, bool shuffle = true);

    // Fills `tokens` with this rank's share of the next global batch: rank_batch_instances()
    // rows of sequence_length tokens, row-major, and advances. After an epoch's last batch
    // it starts the next epoch (a new order), so the data never runs out and this always
    // returns true: the trainer decides how long to train. With lazy validation (see
    // InstanceSource::validate) every returned instance is checked first.
    bool next_batch(std::vector<int32_t>& tokens);

    // The global instance indices of the rows the last next_batch returned, in row order.
    const std::vector<int64_t>& last_indices() const { return last_indices_; }

    // The epoch of the batch last returned (1 before the first).
    int64_t epoch() const { return epoch_; }
    // Global batches of the current epoch returned so far.
    int64_t batches_processed() const { return batches_processed_; }
    // Whole epochs finished: epoch() - 1, plus 1 once its last batch has been returned.
    int64_t epochs_completed() const;

    LoaderState state() const { return {epoch_, batches_processed_}; }
    // Continues from `state` exactly as an uninterrupted loader with the same source, batch,
    // seed and shuffle would. Throws UsageError for an epoch below 1 or a batch count outside
    // [0, batches_per_epoch()].
    void restore(const LoaderState& state);

    int64_t batches_per_epoch() const { return batches_per_epoch_; }
    int64_t global_batch_instances() const { return global_batch_instances_; }
    int64_t global_batch_tokens() const {
        return global_batch_instances_ * source_->sequence_length();
    }
    int64_t rank_batch_instances() const { return global_batch_instances_ / dp_world_size_; }
    int64_t rank() const { return rank_; }
    int64_t dp_world_size() const { return dp_world_size_; }
    uint64_t seed() const { return seed_; }

  private:
    void start_epoch(int64_t epoch);

    const InstanceSource* source_;
    int64_t global_batch_instances_;
    int64_t rank_;
    int64_t dp_world_size_;
    uint64_t seed_;
    bool shuffle_;
    int64_t batches_per_epoch_ = 0;
    int64_t epoch_ = 1;
    int64_t batches_processed_ = 0;
    std::vector<uint32_t> order_;  // this epoch's order of all instances
    std::vector<int64_t> last_indices_;
};

}  // namespace ladder::data
