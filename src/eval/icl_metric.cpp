#include "eval/icl_metric.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

namespace ladder::eval {

namespace {

// olmo_eval's LOG_2_OF_E, a Python float multiplied into an fp32 tensor.
constexpr float kLog2OfE = static_cast<float>(1.44269504089);

// A request's values as ICLMetric.update stores them: fp32 tensor arithmetic, each kept as
// the float it produced.
struct Values {
    float log_likelihood, ce, bpb;
    float log_likelihood_nls, ce_nls, bpb_nls;  // without the leading space
};

Values values_of(MetricType type, const ScoredRequest& r) {
    const float s = r.log_likelihood;
    const auto per = [](float value, int64_t count) { return value / static_cast<float>(count); };
    Values v{};
    switch (type) {
        case MetricType::kPmiDc:
            v.log_likelihood = s / r.dc_log_likelihood;
            v.ce = v.bpb = -v.log_likelihood;
            v.log_likelihood_nls = v.log_likelihood;
            v.ce_nls = v.bpb_nls = v.ce;
            break;
        case MetricType::kAcc:
            v.log_likelihood = v.log_likelihood_nls = s;
            break;
        case MetricType::kLenNorm:
        case MetricType::kCeLoss:
        case MetricType::kBpb:
            v.log_likelihood = per(s, r.chars);
            v.log_likelihood_nls = per(s, r.chars_no_leading_space);
            break;
    }
    if (type != MetricType::kPmiDc) {
        v.ce = per(-s, r.chars);
        v.bpb = per(-s, r.bytes) * kLog2OfE;
        v.ce_nls = per(-s, r.chars_no_leading_space);
        v.bpb_nls = per(-s, r.bytes_no_leading_space) * kLog2OfE;
    }
    return v;
}

struct Document {
    int64_t label = 0;
    std::vector<int64_t> cont_ids;  // in order of arrival
    std::unordered_map<int64_t, Values> values;
};

// softmax(scores)[label] and log_softmax(scores)[label], in fp32 as torch returns them.
std::pair<float, float> soft_scores(const std::vector<float>& scores, size_t label) {
    const float top = *std::max_element(scores.begin(), scores.end());
    double total = 0;
    for (const float s : scores)
        total += std::exp(static_cast<double>(s) - top);
    const double log_soft = static_cast<double>(scores[label]) - top - std::log(total);
    return {static_cast<float>(std::exp(log_soft)), static_cast<float>(log_soft)};
}

// The mean of per-document values as ICLMetric.compute takes it: Python floats summed in
// double, the result made an fp32 tensor.
double mean_in_double(const std::vector<float>& values) {
    double sum = 0;
    for (const float v : values)
        sum += v;
    return static_cast<float>(sum / static_cast<double>(values.size()));
}

// For the ce_loss and bpb types it sums 0-dim fp32 tensors instead.
double mean_in_float(const std::vector<float>& values) {
    float sum = 0;
    for (const float v : values)
        sum += v;
    return sum / static_cast<float>(values.size());
}

}  // namespace

std::optional<MetricType> parse_metric_type(const std::string& name) {
    static const std::map<std::string, MetricType> types = {{"acc", MetricType::kAcc},
                                                            {"len_norm", MetricType::kLenNorm},
                                                            {"pmi_dc", MetricType::kPmiDc},
                                                            {"ce_loss", MetricType::kCeLoss},
                                                            {"bpb", MetricType::kBpb}};
    const auto it = types.find(name);
    return it == types.end() ? std::nullopt : std::optional<MetricType>(it->second);
}

std::string metric_type_name(MetricType type) {
    switch (type) {
        case MetricType::kAcc:
            return "acc";
        case MetricType::kLenNorm:
            return "len_norm";
        case MetricType::kPmiDc:
            return "pmi_dc";
        case MetricType::kCeLoss:
            return "ce_loss";
        case MetricType::kBpb:
            return "bpb";
    }
    return "acc";
}

std::optional<MetricType> metric_type_from_oe_eval(const std::string& primary_metric) {
    static const std::map<std::string, MetricType> types = {{"acc_raw", MetricType::kAcc},
                                                            {"acc_per_char", MetricType::kLenNorm},
                                                            {"acc_uncond", MetricType::kPmiDc},
                                                            {"logits_per_byte", MetricType::kBpb}};
    const auto it = types.find(primary_metric);
    return it == types.end() ? std::nullopt : std::optional<MetricType>(it->second);
}

std::map<std::string, double> icl_metrics(MetricType type,
                                          const std::vector<ScoredRequest>& requests) {
    // Documents in order of first arrival, each continuation's first values kept.
    std::vector<int64_t> order;
    std::unordered_map<int64_t, Document> documents;
    for (const ScoredRequest& r : requests) {
        auto [it, fresh] = documents.try_emplace(r.doc_id);
        Document& doc = it->second;
        if (fresh) {
            order.push_back(r.doc_id);
            doc.label = r.label;
        }
        if (doc.values.emplace(r.cont_id, values_of(type, r)).second)
            doc.cont_ids.push_back(r.cont_id);
    }

    std::vector<float> correct, ce, ce_nls, bpb, bpb_nls, soft, soft_nls, soft_log, soft_log_nls;
    for (const int64_t id : order) {
        const Document& doc = documents.at(id);
        const size_t n = doc.cont_ids.size();
        const float inf = std::numeric_limits<float>::infinity();
        std::vector<float> scores(n, -inf), scores_nls(n, -inf), ces(n, inf), ces_nls(n, inf),
            bpbs(n, inf), bpbs_nls(n, inf);
        bool complete = true;
        for (const int64_t cont : doc.cont_ids) {
            if (cont < 0 || static_cast<size_t>(cont) >= n) {
                complete = false;  // cont_ids not 0..n-1: olmo_eval skips the document
                break;
            }
            const Values& v = doc.values.at(cont);
            const auto i = static_cast<size_t>(cont);
            scores[i] = v.log_likelihood;
            scores_nls[i] = v.log_likelihood_nls;
            ces[i] = v.ce;
            ces_nls[i] = v.ce_nls;
            bpbs[i] = v.bpb;
            bpbs_nls[i] = v.bpb_nls;
        }
        if (!complete || doc.label < 0 || static_cast<size_t>(doc.label) >= n)
            continue;
        const auto gold = static_cast<size_t>(doc.label);
        if (type == MetricType::kCeLoss || type == MetricType::kBpb) {
            // Only one answer is scored: the continuation with cont_id 0.
            ce.push_back(ces[0]);
            ce_nls.push_back(ces_nls[0]);
            bpb.push_back(bpbs[0]);
            bpb_nls.push_back(bpbs_nls[0]);
            continue;
        }
        const auto predicted =
            static_cast<size_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
        correct.push_back(predicted == gold ? 1.0f : 0.0f);
        ce.push_back(ces[gold]);
        ce_nls.push_back(ces_nls[gold]);
        bpb.push_back(bpbs[gold]);
        bpb_nls.push_back(bpbs_nls[gold]);
        const auto [s, s_log] = soft_scores(scores, gold);
        const auto [s_nls, s_log_nls] = soft_scores(scores_nls, gold);
        soft.push_back(s);
        soft_log.push_back(s_log);
        soft_nls.push_back(s_nls);
        soft_log_nls.push_back(s_log_nls);
    }

    std::map<std::string, double> out;
    if (ce.empty())
        return out;  // no complete document: nothing to report
    if (type == MetricType::kCeLoss) {
        out["ce_loss_v1"] = mean_in_float(ce_nls);
        out["ce_loss_v2"] = mean_in_float(ce);
        return out;
    }
    if (type == MetricType::kBpb) {
        out["bpb_v1"] = mean_in_float(bpb_nls);
        out["bpb_v2"] = mean_in_float(bpb);
        return out;
    }
    const std::string name = metric_type_name(type);
    out[name + "_v1"] = out[name + "_v2"] = mean_in_double(correct);
    out["ce_loss_v1"] = mean_in_double(ce_nls);
    out["ce_loss_v2"] = mean_in_double(ce);
    out["bpb_v1"] = mean_in_double(bpb_nls);
    out["bpb_v2"] = mean_in_double(bpb);
    out["soft_v1"] = mean_in_double(soft_nls);
    out["soft_v2"] = mean_in_double(soft);
    out["soft_log_v1"] = mean_in_double(soft_log_nls);
    out["soft_log_v2"] = mean_in_double(soft_log);
    return out;
}

std::string metric_label(const std::string& key) {
    static const std::map<std::string, std::string> labels = {
        {"acc", "accuracy"},
        {"len_norm", "length-normalized accuracy"},
        {"pmi_dc", "PMI-DC accuracy"},
        {"ce_loss", "CE loss"},
        {"bpb", "BPB"},
        {"soft", "soft loss"},
        {"soft_log", "log soft loss"}};
    const size_t cut = key.rfind('_');
    const std::string base = key.substr(0, cut), version = key.substr(cut + 1);
    const auto it = labels.find(base);
    const std::string label = it == labels.end() ? base : it->second;
    return version == "v2" ? label + " v2" : label;
}

}  // namespace ladder::eval
