// Sums gradients over the ranks while the backward pass is still running (the scheme of
// PyTorch's DDP): parameters are grouped into buckets of about 25 MB in the reverse of
// their registration order, which is roughly the order backward produces their gradients;
// a gradient hook copies each finished gradient into its bucket and a full bucket is
// all-reduced at once, in bucket order on every rank. Earlier micro-batches of an
// accumulation are not reduced: only the last one is armed, and its hooks add the gradient
// accumulated so far.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <vector>

#include "dist/rank_group.hpp"

namespace ladder::dist {

class GradientReducer {
  public:
    GradientReducer(RankGroup& group, std::vector<at::Tensor> parameters,
                    int64_t bucket_bytes = 25 << 20);

    // Before the backward pass of a step's last micro-batch.
    void arm();
    // After it: waits for every bucket; each parameter's .grad is then the sum over the
    // ranks (a view into its bucket).
    void finish();

  private:
    struct Bucket {
        at::Tensor flat;
        std::vector<size_t> params;  // indices into parameters_
        std::vector<int64_t> offsets;
        size_t pending = 0;
        std::function<void()> wait;  // set once launched
    };

    void on_gradient(size_t param, const at::Tensor& grad);
    void launch_ready();

    RankGroup& group_;
    std::vector<at::Tensor> parameters_;
    std::vector<Bucket> buckets_;
    std::vector<std::pair<size_t, int64_t>> slot_;  // per parameter: (bucket, offset)
    std::vector<bool> seen_;                        // per parameter: its hook ran
    size_t next_launch_ = 0;
    bool armed_ = false;
};

}  // namespace ladder::dist
