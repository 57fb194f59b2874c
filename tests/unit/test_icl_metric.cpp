// olmo_eval's ICLMetric on hand-made requests, against numbers worked out by hand.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "eval/icl_metric.hpp"

using ladder::eval::icl_metrics;
using ladder::eval::metric_label;
using ladder::eval::MetricType;
using ladder::eval::ScoredRequest;

namespace {

// A continuation string's lengths: characters and bytes with and without its first one.
ScoredRequest request(int64_t doc, int64_t cont, int64_t label, float ll, int64_t chars,
                      int64_t bytes = -1) {
    ScoredRequest r;
    r.doc_id = doc;
    r.cont_id = cont;
    r.label = label;
    r.log_likelihood = ll;
    r.chars = chars;
    r.bytes = bytes < 0 ? chars : bytes;
    r.chars_no_leading_space = chars - 1;
    r.bytes_no_leading_space = r.bytes - 1;
    return r;
}

const double kLog2E = 1.44269504089;

}  // namespace

TEST_CASE("accuracy: the highest log-likelihood wins, ties to the first, CE and BPB of the gold",
          "[icl]") {
    const std::vector<ScoredRequest> requests = {
        // Document 7: continuation 1 is likelier and gold.
        request(7, 0, 1, -2.0f, 2), request(7, 1, 1, -1.0f, 2),
        // Document 3: a tie goes to continuation 0, but 1 is gold.
        request(3, 0, 1, -3.0f, 4), request(3, 1, 1, -3.0f, 5, 8)};
    const auto m = icl_metrics(MetricType::kAcc, requests);
    CHECK(m.at("acc_v1") == 0.5);
    CHECK(m.at("acc_v2") == 0.5);
    // Gold CE per character: 1/2 and 3/5 (v2), 1/1 and 3/4 without the leading space (v1).
    CHECK(m.at("ce_loss_v2") == Approx((0.5 + 0.6) / 2));
    CHECK(m.at("ce_loss_v1") == Approx((1.0 + 0.75) / 2));
    // BPB: per UTF-8 byte, in bits.
    CHECK(m.at("bpb_v2") == Approx((1.0 / 2 + 3.0 / 8) / 2 * kLog2E));
    CHECK(m.at("bpb_v1") == Approx((1.0 / 1 + 3.0 / 7) / 2 * kLog2E));
    // Soft scores: softmax of the raw log-likelihoods at the gold.
    const double p7 = std::exp(-1.0) / (std::exp(-1.0) + std::exp(-2.0));
    CHECK(m.at("soft_v2") == Approx((p7 + 0.5) / 2));
    CHECK(m.at("soft_log_v2") == Approx((std::log(p7) + std::log(0.5)) / 2));
    CHECK(m.size() == 10);
}

TEST_CASE("length-normalized accuracy divides by characters, v1 without the leading space",
          "[icl]") {
    // " cat" (4 chars) at -4 against " elephant" (9) at -6: raw prefers the cat, per character
    // the elephant (-1 vs -0.667); without the leading space -4/3 vs -6/8 the same.
    const std::vector<ScoredRequest> requests = {request(0, 0, 1, -4.0f, 4),
                                                 request(0, 1, 1, -6.0f, 9)};
    CHECK(icl_metrics(MetricType::kAcc, requests).at("acc_v2") == 0.0);
    const auto m = icl_metrics(MetricType::kLenNorm, requests);
    CHECK(m.at("len_norm_v1") == 1.0);
    CHECK(m.at("len_norm_v2") == 1.0);
    CHECK(m.at("ce_loss_v2") == Approx(6.0 / 9));
    // Soft scores over the normalized scores.
    const double a = -4.0 / 4, b = -6.0 / 9;
    CHECK(m.at("soft_v2") == Approx(std::exp(b) / (std::exp(a) + std::exp(b))));
    const double a1 = -4.0 / 3, b1 = -6.0 / 8;
    CHECK(m.at("soft_v1") == Approx(std::exp(b1) / (std::exp(a1) + std::exp(b1))));
}

TEST_CASE("PMI-DC divides by the log-likelihood after the domain-conditional context", "[icl]") {
    std::vector<ScoredRequest> requests = {request(0, 0, 1, -3.0f, 3), request(0, 1, 1, -4.0f, 3)};
    requests[0].dc_log_likelihood = -12.0f;  // ratio 0.25: likelier raw, but the lower ratio
    requests[1].dc_log_likelihood = -5.0f;   // ratio 0.8: the highest ratio wins
    CHECK(icl_metrics(MetricType::kAcc, requests).at("acc_v2") == 0.0);
    const auto m = icl_metrics(MetricType::kPmiDc, requests);
    CHECK(m.at("pmi_dc_v2") == 1.0);
    CHECK(m.at("ce_loss_v2") == Approx(-0.8));  // minus the gold's ratio
    CHECK(m.at("bpb_v1") == Approx(-0.8));
}

TEST_CASE("CE loss and BPB tasks score the one continuation of each document", "[icl]") {
    const std::vector<ScoredRequest> requests = {request(0, 0, 0, -6.0f, 4, 6),
                                                 request(1, 0, 0, -2.0f, 2, 2)};
    const auto ce = icl_metrics(MetricType::kCeLoss, requests);
    CHECK(ce.size() == 2);
    CHECK(ce.at("ce_loss_v2") == Approx((1.5 + 1.0) / 2));
    CHECK(ce.at("ce_loss_v1") == Approx((2.0 + 2.0) / 2));
    const auto bpb = icl_metrics(MetricType::kBpb, requests);
    CHECK(bpb.size() == 2);
    CHECK(bpb.at("bpb_v2") == Approx((1.0 + 1.0) / 2 * kLog2E));
    CHECK(bpb.at("bpb_v1") == Approx((6.0 / 5 + 2.0 / 1) / 2 * kLog2E));
}

TEST_CASE("a repeated request counts once and a document with a gap in its cont_ids is skipped",
          "[icl]") {
    const std::vector<ScoredRequest> requests = {
        request(0, 0, 0, -1.0f, 2), request(0, 1, 0, -2.0f, 2),
        request(0, 1, 0, -0.5f, 2),  // a repeat (as DistributedSampler pads): ignored
        request(1, 0, 0, -1.0f, 2), request(1, 2, 0, -0.1f, 2)};  // cont_ids 0, 2: skipped
    const auto m = icl_metrics(MetricType::kAcc, requests);
    CHECK(m.at("acc_v2") == 1.0);
    CHECK(m.at("ce_loss_v2") == Approx(0.5));
    CHECK(icl_metrics(MetricType::kAcc, {}).empty());
}

TEST_CASE("metric keys take OLMo-core's labels; oe-eval primary metrics map to types", "[icl]") {
    CHECK(metric_label("acc_v1") == "accuracy");
    CHECK(metric_label("len_norm_v2") == "length-normalized accuracy v2");
    CHECK(metric_label("pmi_dc_v1") == "PMI-DC accuracy");
    CHECK(metric_label("ce_loss_v1") == "CE loss");
    CHECK(metric_label("bpb_v2") == "BPB v2");
    CHECK(metric_label("soft_log_v1") == "log soft loss");
    CHECK(ladder::eval::metric_type_from_oe_eval("acc_per_char") == MetricType::kLenNorm);
    CHECK(ladder::eval::metric_type_from_oe_eval("logits_per_byte") == MetricType::kBpb);
    CHECK(!ladder::eval::metric_type_from_oe_eval("exact_match"));
    CHECK(ladder::eval::parse_metric_type("pmi_dc") == MetricType::kPmiDc);
}
