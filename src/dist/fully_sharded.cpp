#include "dist/fully_sharded.hpp"

#include <c10/core/StorageImpl.h>
#include <torch/utils.h>

#include <stdexcept>

#include "dist/rank_group.hpp"

namespace ladder::dist {

namespace {

// A unit's index from a parameter name: embeddings 0, blocks.<i> i + 1, the LM head last.
int64_t unit_of(const std::string& name, int64_t n_layers) {
    if (name.rfind("embeddings.", 0) == 0)
        return 0;
    if (name.rfind("blocks.", 0) == 0)
        return std::stoll(name.substr(7)) + 1;
    return n_layers + 1;
}

// Frees a tensor's memory while every tensor sharing its storage (the parameters' views,
// what autograd saved) keeps pointing at it; allocate_storage gives it memory again. This
// is how FSDP2 frees unsharded parameters (torch/distributed/fsdp/_fully_shard/
// _fsdp_param.py, free_storage / alloc_storage).
void free_storage(const at::Tensor& t) {
    c10::StorageImpl* storage = t.storage().unsafeGetStorageImpl();
    storage->set_data_ptr_noswap(at::DataPtr(nullptr, t.device()));
    storage->set_nbytes(0);
}

void allocate_storage(const at::Tensor& t) {
    c10::StorageImpl* storage = t.storage().unsafeGetStorageImpl();
    if (storage->nbytes() > 0)
        return;
    const size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
    storage->set_data_ptr_noswap(storage->allocator()->allocate(bytes));
    storage->set_nbytes(bytes);
}

}  // namespace

std::vector<FlatUnit> flat_units(model::TransformerImpl& model, int64_t degree) {
    const int64_t n_layers = static_cast<int64_t>(model.blocks->size());
    std::vector<FlatUnit> units(n_layers + 2);
    for (const auto& item : model.named_parameters()) {
        FlatUnit& flat = units[unit_of(item.key(), n_layers)];
        flat.names.push_back(item.key());
        flat.shapes.push_back(item.value().sizes().vec());
        flat.offsets.push_back(flat.numel);
        flat.numel += item.value().numel();
    }
    for (FlatUnit& flat : units)
        flat.shard_numel = (flat.numel + degree - 1) / degree;
    return units;
}

struct FullySharded::Unit {
    std::vector<at::Tensor> params;  // the model's, views of `full`
    at::Tensor full;                 // [degree * shard_numel] in param_dtype
    at::Tensor full_grad;            // the parameters' .grad are views of it, during backward
    bool gathered = false;
    bool in_backward = false;  // gathered again for backward; not yet reduced
    std::function<void()> gather_done;
    at::Tensor gather_input;  // the shard in param_dtype, while it is sent
    std::function<void()> reduce_done;
    at::Tensor reduce_input, reduced;  // while the reduce-scatter runs
};

FullySharded::FullySharded(model::TransformerImpl& model, RankGroup& shard_group,
                           RankGroup* replica_group, at::ScalarType param_dtype,
                           at::ScalarType reduce_dtype, const c10::Device& device)
    : shard_group_(shard_group),
      replica_group_(replica_group),
      param_dtype_(param_dtype),
      reduce_dtype_(reduce_dtype) {
    torch::NoGradGuard no_grad;
    const int64_t w = shard_group.size(), r = shard_group.rank();
    layout_ = flat_units(model, w);
    units_.resize(layout_.size());
    const int64_t n_layers = static_cast<int64_t>(model.blocks->size());
    for (const auto& item : model.named_parameters())
        units_[unit_of(item.key(), n_layers)].params.push_back(item.value());
    for (size_t u = 0; u < units_.size(); ++u) {
        Unit& unit = units_[u];
        const FlatUnit& flat = layout_[u];
        const at::Tensor first = unit.params.front();
        at::Tensor values = at::zeros({w * flat.shard_numel}, first.options().dtype(at::kFloat));
        unit.full =
            at::empty({w * flat.shard_numel}, first.options().dtype(param_dtype).device(device));
        for (size_t i = 0; i < unit.params.size(); ++i) {
            at::Tensor& p = unit.params[i];
            values.narrow(0, flat.offsets[i], p.numel()).copy_(p.reshape({-1}));
            p.set_data(unit.full.narrow(0, flat.offsets[i], p.numel()).view(flat.shapes[i]));
        }
        shards_.push_back(values.narrow(0, r * flat.shard_numel, flat.shard_numel)
                              .to(device, at::kFloat, /*non_blocking=*/false, /*copy=*/true));
        free_storage(unit.full);
    }
}

FullySharded::~FullySharded() = default;

int64_t FullySharded::degree() const {
    return shard_group_.size();
}
int64_t FullySharded::shard_rank() const {
    return shard_group_.rank();
}

void FullySharded::gather(int64_t u) {
    Unit& unit = units_[u];
    if (unit.gathered || unit.gather_done)
        return;
    allocate_storage(unit.full);
    unit.gather_input = shards_[u].to(param_dtype_);
    unit.gather_done = shard_group_.all_gather_async(unit.full, unit.gather_input);
}

void FullySharded::wait_gathered(int64_t u) {
    Unit& unit = units_[u];
    gather(u);
    if (unit.gather_done) {
        unit.gather_done();
        unit.gather_done = nullptr;
        unit.gather_input = at::Tensor();
    }
    unit.gathered = true;
}

void FullySharded::reshard(int64_t u) {
    Unit& unit = units_[u];
    if (unit.gather_done)  // a prefetch nobody used: finish it before freeing its buffer
        wait_gathered(u);
    if (!unit.gathered)
        return;
    free_storage(unit.full);
    unit.gathered = false;
}

void FullySharded::skip_forward() {
    for (size_t u = 0; u < units_.size(); ++u) {
        before_forward(static_cast<int64_t>(u));
        reshard(static_cast<int64_t>(u));
    }
}

void FullySharded::before_forward(int64_t u) {
    wait_gathered(u);
    if (u + 1 < static_cast<int64_t>(units_.size()))
        gather(u + 1);  // prefetch the next unit while this one computes
}

at::Tensor FullySharded::after_forward(int64_t u, const at::Tensor& output) {
    const bool last = u + 1 == static_cast<int64_t>(units_.size());
    if (output.requires_grad()) {
        // The gradient of the unit's output arrives just before the unit's backward.
        output.register_hook([this, u](const at::Tensor& grad) {
            before_backward(u);
            return grad;
        });
        // The LM head's backward comes next: no point freeing it.
        if (last)
            return output;
    }
    reshard(u);
    return output;
}

void FullySharded::before_backward(int64_t u) {
    // The unit after this one (in forward order) has finished its backward: every
    // gradient of it has been accumulated (the engine runs gradient accumulation first
    // among the ready functions).
    if (u + 1 < static_cast<int64_t>(units_.size()))
        reduce(u + 1);
    // The embeddings' backward reads the token ids, never the weights: unit 0 is not
    // gathered again.
    if (u > 0)
        wait_gathered(u);
    if (u > 1)
        gather(u - 1);
    Unit& unit = units_[u];
    unit.full_grad = at::zeros_like(unit.full);
    for (size_t i = 0; i < unit.params.size(); ++i) {
        unit.params[i].mutable_grad() =
            unit.full_grad.narrow(0, layout_[u].offsets[i], unit.params[i].numel())
                .view(layout_[u].shapes[i]);
    }
    unit.in_backward = true;
}

void FullySharded::reduce(int64_t u) {
    Unit& unit = units_[u];
    if (!unit.in_backward)
        return;
    unit.in_backward = false;
    for (at::Tensor& p : unit.params)
        p.mutable_grad() = at::Tensor();
    unit.reduce_input = unit.full_grad.to(reduce_dtype_);
    unit.full_grad = at::Tensor();
    unit.reduced = at::empty({layout_[u].shard_numel}, unit.reduce_input.options());
    unit.reduce_done = shard_group_.reduce_scatter_sum_async(unit.reduced, unit.reduce_input);
    reshard(u);
    // At most two units' full-size gradients wait for their reduce-scatter at a time.
    in_flight_.push_back(u);
    if (in_flight_.size() > 2)
        finish_reduce();
}

void FullySharded::finish_reduce() {
    const int64_t u = in_flight_.front();
    in_flight_.pop_front();
    Unit& unit = units_[u];
    unit.reduce_done();
    unit.reduce_done = nullptr;
    shards_[u].mutable_grad().add_(unit.reduced.to(at::kFloat));
    unit.reduced = at::Tensor();
    unit.reduce_input = at::Tensor();
}

void FullySharded::start_step() {
    for (at::Tensor& shard : shards_)
        shard.mutable_grad() = at::zeros_like(shard);
}

void FullySharded::finish_backward() {
    torch::NoGradGuard no_grad;
    for (size_t u = units_.size(); u-- > 0;)
        reduce(static_cast<int64_t>(u));
    while (!in_flight_.empty())
        finish_reduce();
    for (size_t u = 0; u < units_.size(); ++u)
        reshard(static_cast<int64_t>(u));
}

void FullySharded::finish_step() {
    if (!replica_group_)
        return;
    for (at::Tensor& shard : shards_)
        replica_group_->all_reduce_sum(shard.mutable_grad());
}

at::Tensor FullySharded::grad_norm() const {
    std::vector<at::Tensor> squares;
    for (const at::Tensor& shard : shards_)
        squares.push_back(shard.grad().pow(2).sum());
    at::Tensor total = at::stack(squares).sum();
    shard_group_.all_reduce_sum(total);
    return total.sqrt();
}

}  // namespace ladder::dist
