// LM and downstream evaluation through the real train module against the losses computed
// directly from the model: document by document as OLMo-core's LM evaluator defines them,
// request by request as olmo_eval scores them; and labels that keep the EOS when it is also
// the pad id.
#include <ATen/ATen.h>
#include <torch/utils.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "e2e/run_ladder.hpp"
#include "eval/icl_metric.hpp"
#include "ladder/run_plan.hpp"
#include "model/transformer.hpp"
#include "train/downstream_evaluator.hpp"
#include "train/lm_evaluator.hpp"
#include "train/transformer_train_module.hpp"

using namespace ladder;

namespace {

constexpr int32_t kEos = 3;  // also the pad id, as in the gpt2 preset
constexpr int64_t kSeq = 16;

RunPlan tiny_plan() {
    const auto config = config::load_config(
        std::nullopt,
        {{"sizes", "[1M]", "--sizes"},
         {"sequence_length", std::to_string(kSeq), "--sequence_length"},
         {"tokenizer", "{name: synthetic, vocab_size: 64, eos_token_id: 3, pad_token_id: 3}",
          "--tokenizer"},
         {"model", "{rank_microbatch_size: 64}", "--model"},
         {"run",
          "{type: levanter, learning_rate: 1.0e-2, global_batch_size: 64, "
          "num_train_steps: 100, warmup: 0.1}",
          "--run"}});
    return plan_run(config, "1M");
}

// The real train module on the CPU and a model initialized as it is, for references.
struct Rung {
    RunPlan plan = tiny_plan();
    train::TransformerTrainModule module;
    model::Transformer reference{plan.model};

    explicit Rung(uint64_t seed) : module(plan, settings(seed), c10::Device(c10::kCPU), nullptr) {
        reference->initialize(seed);
    }
    static train::TransformerTrainModuleSettings settings(uint64_t seed) {
        train::TransformerTrainModuleSettings s;
        s.seed = seed;
        return s;
    }
};

void write_u16(const std::string& path, const std::vector<int32_t>& ids) {
    std::ofstream out(path, std::ios::binary);
    for (const int32_t id : ids) {
        const auto v = static_cast<uint16_t>(id);
        out.write(reinterpret_cast<const char*>(&v), 2);
    }
}

// Sum of -log p(next token) over a sequence's positions, from the model directly.
double ce_sum(model::Transformer& m, const std::vector<int32_t>& tokens) {
    torch::NoGradGuard no_grad;
    const at::Tensor ids =
        at::tensor(std::vector<int64_t>(tokens.begin(), tokens.end()), at::kLong).view({1, -1});
    const at::Tensor logp = at::log_softmax(m->forward(ids)[0].to(at::kDouble), -1);
    double sum = 0;
    for (size_t t = 0; t + 1 < tokens.size(); ++t)
        sum -= logp[static_cast<int64_t>(t)][tokens[t + 1]].item<double>();
    return sum;
}

}  // namespace

TEST_CASE("LM evaluation per document equals the direct loss of each truncated document",
          "[evaluator]") {
    ladder::test::TempDir dir;
    // Documents of 3, 16 (the sequence), 25 (truncated to 16) and 7 tokens, then a tail
    // without an EOS that belongs to no document.
    std::vector<std::vector<int32_t>> docs;
    std::vector<int32_t> file;
    at::manual_seed(7);
    for (const int64_t length : {3, 16, 25, 7}) {
        std::vector<int32_t> doc;
        for (int64_t i = 0; i + 1 < length; ++i)
            doc.push_back(static_cast<int32_t>(at::randint(4, 64, {1}).item<int64_t>()));
        doc.push_back(kEos);
        file.insert(file.end(), doc.begin(), doc.end());
        doc.resize(std::min<size_t>(doc.size(), kSeq));
        docs.push_back(doc);
    }
    file.insert(file.end(), {10, 11, 12});
    write_u16(dir / "val.u16", file);

    Rung rung(5);
    train::TransformerTrainModule& module = rung.module;
    model::Transformer& reference = rung.reference;

    for (const bool chunks : {false, true}) {
        INFO((chunks ? "chunks" : "documents"));
        train::LMEvaluatorSettings eval;
        eval.sequence_length = kSeq;
        eval.vocab_size = 64;
        eval.eos_token_id = kEos;
        eval.pad_token_id = kEos;
        eval.chunks = chunks;
        eval.batch_instances = 3;  // two batches, the second part empty
        eval.eval_steps = {2};
        train::LMEvaluator evaluator({{"val", {dir / "val.u16"}}}, eval, module);
        train::TrainProgress p;
        p.step = 2;
        train::Metrics metrics;
        evaluator.post_train_batch(p, metrics);

        double sum = 0, count = 0;
        if (!chunks) {
            // OLMo-core's MeanMetric: every label-mask position counts, each document's last
            // one with a CE of 0.
            for (const auto& doc : docs) {
                sum += ce_sum(reference, doc);
                count += static_cast<double>(doc.size());
            }
        } else {
            for (size_t start = 0; start + kSeq <= file.size(); start += kSeq) {
                sum += ce_sum(reference, std::vector<int32_t>(file.begin() + start,
                                                              file.begin() + start + kSeq));
                count += kSeq - 1;
            }
        }
        CHECK(metrics.at("eval/lm/val/CE loss") == Approx(sum / count).epsilon(1e-5));
    }
}

TEST_CASE("with the pad id equal to the EOS, training learns to predict the EOS", "[evaluator]") {
    const RunPlan plan = tiny_plan();
    train::TransformerTrainModuleSettings settings;
    settings.seed = 1;
    settings.z_loss_multiplier = 1e-4;
    train::TransformerTrainModule module(plan, settings, c10::Device(c10::kCPU), nullptr);
    // Every instance: "10 11 EOS" repeated; the EOS follows 11 every time.
    std::vector<int32_t> batch;
    for (int64_t i = 0; i < plan.batch.instances() * kSeq; ++i)
        batch.push_back(i % 3 == 0 ? 10 : i % 3 == 1 ? 11 : kEos);
    for (int64_t step = 1; step <= 100; ++step)
        module.train_batch(batch, step)->read();

    const std::vector<int64_t> lengths(1, kSeq);
    module.eval_batch(std::vector<int32_t>(batch.begin(), batch.begin() + kSeq), lengths);
    const train::EvalTotals totals = module.eval_totals();
    // A model that never saw an EOS label would pay ~log(64) on a third of the positions.
    CHECK(totals.labels == kSeq - 1);
    INFO("CE " << totals.ce_sum / totals.labels);
    CHECK(totals.ce_sum / totals.labels < 0.1);
}

TEST_CASE("downstream scores equal each continuation's log-likelihood computed directly",
          "[evaluator]") {
    Rung rung(9);
    train::TransformerTrainModule& module = rung.module;
    model::Transformer& reference = rung.reference;

    // Four-way multiple choice over 5 documents; document 4's context is longer than the
    // sequence, so its queries lose their first tokens.
    at::manual_seed(3);
    const auto random_ids = [](int64_t n) {
        std::vector<int32_t> ids;
        for (int64_t i = 0; i < n; ++i)
            ids.push_back(static_cast<int32_t>(at::randint(4, 64, {1}).item<int64_t>()));
        return ids;
    };
    eval::PreparedTask task;
    task.name = "mc";
    task.type = eval::MetricType::kLenNorm;
    for (int64_t doc = 0; doc < 5; ++doc) {
        const std::vector<int32_t> context = random_ids(doc == 4 ? 30 : 3 + doc);
        for (int64_t cont = 0; cont < 4; ++cont) {
            eval::PreparedRequest r;
            r.doc_id = doc;
            r.cont_id = cont;
            r.label = doc % 4;
            r.context = context;
            r.continuation = random_ids(1 + cont);
            r.chars = 3 + 2 * cont;
            r.bytes = r.chars + doc;
            r.chars_no_leading_space = r.chars - 1;
            r.bytes_no_leading_space = r.bytes - 1;
            task.requests.push_back(r);
        }
    }
    std::vector<eval::ScoredRequest> expected;
    for (const eval::PreparedRequest& r : task.requests) {
        // The query as olmo_eval cuts it: its last kSeq tokens of context + continuation[:-1].
        std::vector<int32_t> all = r.context;
        all.insert(all.end(), r.continuation.begin(), r.continuation.end());
        const size_t keep = std::min<size_t>(all.size(), kSeq + 1);
        const std::vector<int32_t> window(all.end() - keep, all.end());
        // ce_sum over the window's positions, less those predicting context tokens.
        const std::vector<int32_t> context_part(window.begin(),
                                                window.end() - r.continuation.size());
        eval::ScoredRequest s;
        s.doc_id = r.doc_id;
        s.cont_id = r.cont_id;
        s.label = r.label;
        s.log_likelihood =
            static_cast<float>(-(ce_sum(reference, window) -
                                 (context_part.size() > 1 ? ce_sum(reference, context_part) : 0)));
        s.chars = r.chars;
        s.bytes = r.bytes;
        s.chars_no_leading_space = r.chars_no_leading_space;
        s.bytes_no_leading_space = r.bytes_no_leading_space;
        expected.push_back(s);
    }
    const auto wanted = eval::icl_metrics(task.type, expected);

    train::DownstreamEvaluatorSettings eval_settings;
    eval_settings.sequence_length = kSeq;
    eval_settings.batch_tokens = 40;  // several batches of different lengths
    train::DownstreamEvaluator evaluator({task}, eval_settings, module);
    const train::Metrics metrics = evaluator.evaluate();
    for (const auto& [key, value] : wanted) {
        INFO(key);
        const std::string name = "eval/downstream/mc (" + eval::metric_label(key) + ")";
        CHECK(metrics.at(name) == Approx(value).epsilon(1e-4));
    }
    CHECK(metrics.count("eval/downstream/mc (length-normalized accuracy)") == 1);
}
