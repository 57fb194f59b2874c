// Downstream task scores from per-continuation log-likelihoods, exactly as olmo_eval's
// ICLMetric computes them (allenai/OLMo-in-loop-evals, src/olmo_eval/metrics.py,
// ICLMetric.update and .compute), named as OLMo-core's DownstreamEvaluator names them
// (olmo_core/train/callbacks/evaluator_callback.py, metric_type_to_label).
//
// Every request is one (document, continuation) pair. Per request, with S the sum of
// ln p(continuation token) given the context (fp32, as the model computes it), C and B the
// continuation's characters and UTF-8 bytes, C' and B' the same without its first
// character (the leading space):
//   acc:              score S                   CE S/C (S/C')   BPB S/B/ln 2 (S/B'/ln 2)
//   len_norm, ce_loss, bpb: score S/C (S/C')    the same CE and BPB
//   pmi_dc:           score S / S_dc (S_dc: the continuation after the domain-conditional
//                     context " "), CE = BPB = -score
// Per document the predicted continuation is the first with the highest score; CE, BPB and
// the soft scores are the gold continuation's. `_v2` values use C and B, `_v1` values C' and
// B' (olmo_eval PR 6); accuracy is the same in both. Means are over documents.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ladder::eval {

enum class MetricType { kAcc, kLenNorm, kPmiDc, kCeLoss, kBpb };

// "acc", "len_norm", "pmi_dc", "ce_loss", "bpb" <-> the type; nullopt for other names.
std::optional<MetricType> parse_metric_type(const std::string& name);
std::string metric_type_name(MetricType type);

// The metric type of a task whose oe-eval config.json names `primary_metric`, as olmo_eval's
// METRIC_FROM_OE_EVAL maps them (src/olmo_eval/tasks.py): acc_raw -> acc, acc_per_char ->
// len_norm, acc_uncond -> pmi_dc, logits_per_byte -> bpb; nullopt for others.
std::optional<MetricType> metric_type_from_oe_eval(const std::string& primary_metric);

// One scored (document, continuation) request.
struct ScoredRequest {
    int64_t doc_id = 0;
    int64_t cont_id = 0;
    int64_t label = 0;             // the gold continuation's cont_id
    float log_likelihood = 0;      // S
    float dc_log_likelihood = 0;   // S_dc (pmi_dc only)
    int64_t chars = 0, bytes = 0;  // C, B
    int64_t chars_no_leading_space = 0, bytes_no_leading_space = 0;  // C', B'
};

// ICLMetric.compute: keys "acc_v1", "len_norm_v2", "ce_loss_v1", "bpb_v2", "soft_v1",
// "soft_log_v2", ... as it returns them for `type`. Requests seen twice count once (the
// first wins); a document whose cont_ids are not 0..n-1 is left out, as there.
std::map<std::string, double> icl_metrics(MetricType type,
                                          const std::vector<ScoredRequest>& requests);

// OLMo-core's name for an ICLMetric key: "acc_v1" -> "accuracy", "bpb_v2" -> "BPB v2", ...
std::string metric_label(const std::string& key);

}  // namespace ladder::eval
