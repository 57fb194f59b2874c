// The files of a checkpoint of a sharded run (fsdp, hsdp), beside train/ and config.json:
//   model_and_optim/shards.json  the layout: each unit's parameter names, shapes and offsets
//                                in its flat buffer, the shard size and the number of shards,
//                                and the optimizer's step count and skip-rule histories;
//   model_and_optim/rank<r>.bin  shard r of every unit in turn: its weights, AdamW's exp_avg
//                                and exp_avg_sq, fp32 little-endian.
// A reader of any world size and mode takes exactly the elements it needs from the files
// that hold them, so loading a shard needs no more memory than the shard.
#pragma once

#include <ATen/ATen.h>

#include <deque>
#include <string>
#include <vector>

#include "dist/fully_sharded.hpp"
#include "io/checkpoint_dir.hpp"
#include "optim/skip_step_adamw.hpp"

namespace ladder::train {

// Whether the checkpoint in `dir` is sharded (has model_and_optim/shards.json).
bool is_sharded_checkpoint(const std::string& dir);

// Writes shard `shard` of every unit into <folder>/model_and_optim/rank<shard>.bin:
// weights[u], exp_avg[u], exp_avg_sq[u] for each unit u. Throws std::runtime_error naming
// the file when a write fails.
io::FileChecksum write_shard_file(const std::string& folder, int64_t shard,
                                  const std::vector<at::Tensor>& weights,
                                  const std::vector<at::Tensor>& exp_avg,
                                  const std::vector<at::Tensor>& exp_avg_sq);

// The text of shards.json.
std::string shards_json(const std::string& mode, int64_t degree,
                        const std::vector<dist::FlatUnit>& units,
                        const optim::SkipStepAdamW::State& state);

class ShardedCheckpoint {
  public:
    enum Part { kWeights = 0, kExpAvg = 1, kExpAvgSq = 2 };

    // Reads shards.json of the checkpoint in `dir` and checks it against the model's units
    // (names and shapes; the number of shards may differ) and the shard files' sizes;
    // throws UsageError naming the file otherwise.
    ShardedCheckpoint(const std::string& dir, const std::vector<dist::FlatUnit>& model_units);

    // Elements [begin, begin + count) of `part` of unit `unit`'s flat buffer, as fp32 on
    // the CPU; zeros past the unit's elements (padding).
    at::Tensor read(size_t unit, Part part, int64_t begin, int64_t count) const;

    // The optimizer's step count and skip-rule histories (0-dim fp32 tensors).
    at::Tensor step;
    std::deque<at::Tensor> losses, grad_norms;

  private:
    std::string dir_;
    int64_t degree_ = 0;
    std::vector<int64_t> numel_, shard_numel_, first_element_;  // per unit, in a shard file
};

}  // namespace ladder::train
