#include "dist/gradient_reducer.hpp"

namespace ladder::dist {

GradientReducer::GradientReducer(RankGroup& group, std::vector<at::Tensor> parameters,
                                 int64_t bucket_bytes)
    : group_(group), parameters_(std::move(parameters)), slot_(parameters_.size()) {
    std::vector<std::vector<size_t>> groups(1);
    int64_t bytes = 0;
    for (size_t i = parameters_.size(); i-- > 0;) {
        const at::Tensor& p = parameters_[i];
        const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
        if (!groups.back().empty() && bytes + size > bucket_bytes) {
            groups.emplace_back();
            bytes = 0;
        }
        groups.back().push_back(i);
        bytes += size;
    }
    for (const auto& members : groups) {
        Bucket bucket;
        int64_t numel = 0;
        for (const size_t i : members) {
            slot_[i] = {buckets_.size(), numel};
            bucket.params.push_back(i);
            bucket.offsets.push_back(numel);
            numel += parameters_[i].numel();
        }
        bucket.flat = at::empty({numel}, parameters_[members.front()].options());
        buckets_.push_back(std::move(bucket));
    }
    for (size_t i = 0; i < parameters_.size(); ++i) {
        parameters_[i].register_hook([this, i](const at::Tensor& grad) {
            on_gradient(i, grad);
            return grad;
        });
    }
}

void GradientReducer::arm() {
    for (Bucket& bucket : buckets_) {
        bucket.pending = bucket.params.size();
        bucket.wait = nullptr;
    }
    seen_.assign(parameters_.size(), false);
    next_launch_ = 0;
    armed_ = true;
}

void GradientReducer::on_gradient(size_t param, const at::Tensor& grad) {
    if (!armed_)
        return;
    const auto [b, offset] = slot_[param];
    Bucket& bucket = buckets_[b];
    const at::Tensor& p = parameters_[param];
    at::Tensor slice = bucket.flat.narrow(0, offset, p.numel()).view_as(p);
    // The hook sees this micro-batch's gradient before it is added to .grad.
    if (p.grad().defined())
        at::add_out(slice, p.grad(), grad);
    else
        slice.copy_(grad);
    seen_[param] = true;
    --bucket.pending;
    launch_ready();
}

void GradientReducer::launch_ready() {
    while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
        Bucket& bucket = buckets_[next_launch_++];
        bucket.wait = group_.all_reduce_sum_async(bucket.flat);
    }
}

void GradientReducer::finish() {
    // A parameter the last backward pass did not reach contributes what it has so far.
    for (size_t i = 0; i < parameters_.size(); ++i) {
        if (seen_[i])
            continue;
        const auto [b, offset] = slot_[i];
        const at::Tensor& p = parameters_[i];
        at::Tensor slice = buckets_[b].flat.narrow(0, offset, p.numel()).view_as(p);
        if (p.grad().defined())
            slice.copy_(p.grad());
        else
            slice.zero_();
        --buckets_[b].pending;
    }
    launch_ready();
    armed_ = false;
    for (Bucket& bucket : buckets_)
        bucket.wait();
    for (size_t i = 0; i < parameters_.size(); ++i) {
        const auto [b, offset] = slot_[i];
        at::Tensor& p = parameters_[i];
        p.mutable_grad() = buckets_[b].flat.narrow(0, offset, p.numel()).view_as(p);
    }
}

}  // namespace ladder::dist
