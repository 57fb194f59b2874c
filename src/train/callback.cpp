#include "train/callback.hpp"

#include <algorithm>

#include "util/format.hpp"

namespace ladder::train {

void CallbackList::add(std::unique_ptr<Callback> callback) {
    const int priority = callback->priority();
    const auto at = std::find_if(callbacks_.begin(), callbacks_.end(),
                                 [&](const auto& c) { return c->priority() < priority; });
    callbacks_.insert(at, std::move(callback));
}

void CallbackList::pre_train(const TrainProgress& p) {
    for (auto& c : callbacks_)
        c->pre_train(p);
}
void CallbackList::pre_load_batch(const TrainProgress& p) {
    for (auto& c : callbacks_)
        c->pre_load_batch(p);
}
void CallbackList::pre_step(const TrainProgress& p) {
    for (auto& c : callbacks_)
        c->pre_step(p);
}
void CallbackList::post_train_batch(const TrainProgress& p, Metrics& metrics) {
    for (auto& c : callbacks_)
        c->post_train_batch(p, metrics);
}
bool CallbackList::wants_metrics(const TrainProgress& p) const {
    return std::any_of(callbacks_.begin(), callbacks_.end(),
                       [&](const auto& c) { return c->wants_metrics(p); });
}
void CallbackList::log_metrics(const TrainProgress& p, const Metrics& metrics) {
    for (auto& c : callbacks_)
        c->log_metrics(p, metrics);
}
void CallbackList::post_step(const TrainProgress& p) {
    for (auto& c : callbacks_)
        c->post_step(p);
}
std::string CallbackList::stop_reason(const TrainProgress& p) {
    std::string first;
    for (auto& c : callbacks_) {
        std::string reason = c->stop_reason(p);
        if (first.empty())
            first = std::move(reason);
    }
    return first;
}
void CallbackList::post_train(const TrainProgress& p) {
    for (auto& c : callbacks_)
        c->post_train(p);
}

bool evaluation_due(int64_t step, const std::set<int64_t>& planned,
                    const std::optional<int64_t>& interval) {
    return step > 1 && (planned.count(step) > 0 || (interval && step % *interval == 0));
}

std::string eval_summary(const Metrics& results) {
    std::string line;
    for (const auto& [name, value] : results) {
        if (name.rfind("eval/", 0) == 0)
            line += " " + name + "=" + format_metric(value);
    }
    return line;
}

}  // namespace ladder::train
