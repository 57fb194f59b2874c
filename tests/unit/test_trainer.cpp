// The training loop without tensors: a TrainModule that records what it is asked, and a
// callback that records when it is called, show the order of a step, when metrics reach
// the host, and how stops and resumes work.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>

#include "data/data_loader.hpp"
#include "data/instance_source.hpp"
#include "e2e/run_ladder.hpp"
#include "train/lm_evaluator.hpp"
#include "train/trainer.hpp"
#include "util/error.hpp"

using ladder::test::TempDir;
using namespace ladder::train;

namespace {

struct Trace {
    std::vector<std::string> events;
    std::string joined() const {
        std::string text;
        for (const auto& e : events)
            text += (text.empty() ? "" : " ") + e;
        return text;
    }
};

class CountingMetrics : public StepMetrics {
  public:
    CountingMetrics(Trace& trace, int64_t step) : trace_(trace), step_(step) {}
    Metrics read() const override {
        trace_.events.push_back("read" + std::to_string(step_));
        return {{"train/CE loss", static_cast<double>(step_)}};
    }

  private:
    Trace& trace_;
    int64_t step_;
};

class RecordingModule : public TrainModule {
  public:
    explicit RecordingModule(Trace& trace) : trace_(trace) {}
    std::unique_ptr<StepMetrics> train_batch(const std::vector<int32_t>& tokens,
                                             int64_t step) override {
        trace_.events.push_back("train" + std::to_string(step));
        batch_sizes.push_back(tokens.size());
        return std::make_unique<CountingMetrics>(trace_, step);
    }
    TrainerState load_checkpoint(const std::string& dir) override {
        trace_.events.push_back("load " + std::filesystem::path(dir).filename().string());
        if (unloadable.count(std::filesystem::path(dir).filename().string()))
            throw ladder::UsageError("checkpoint '" + dir + "' is damaged");
        const std::string name = std::filesystem::path(dir).filename().string();
        TrainerState state;
        state.step = std::stoll(name.substr(4));
        state.tokens_seen = state.step * 16;
        state.loader = {1, state.step};
        if (const auto bad = damaged.find(name); bad != damaged.end())
            bad->second(state);
        return state;
    }
    void sync_ranks() override { trace_.events.push_back("sync"); }
    void wait_for_ranks() override {}
    std::shared_ptr<CheckpointContents> checkpoint(const TrainerState&, const std::string&, bool,
                                                   bool) override {
        FAIL("these tests save no checkpoints");
        return nullptr;
    }
    // Each batch's first token id and instance count; the totals count the instances (as
    // CE), their labels and their own tokens.
    void eval_batch(const std::vector<int32_t>& tokens,
                    const std::vector<int64_t>& lengths) override {
        const auto instances = static_cast<int64_t>(lengths.size());
        eval_batches.push_back({instances > 0 ? tokens.at(0) : -1, instances});
        eval_ce += static_cast<double>(instances);
        for (const int64_t length : lengths) {
            eval_labels += static_cast<double>(length - 1);
            eval_tokens += static_cast<double>(length);
        }
    }
    EvalTotals eval_totals() override {
        trace_.events.push_back("totals");
        const EvalTotals totals{eval_ce, eval_labels, eval_tokens};
        eval_ce = eval_labels = eval_tokens = 0;
        return totals;
    }
    std::vector<float> score_batch(const std::vector<int32_t>&, const std::vector<int32_t>&,
                                   int64_t) override {
        FAIL("these tests score no downstream tasks");
        return {};
    }
    void sum_over_ranks(std::vector<double>&) override {}
    int64_t flops_per_token() const override { return 0; }

    std::set<std::string> unloadable;
    std::map<std::string, std::function<void(TrainerState&)>> damaged;  // by folder name
    std::vector<size_t> batch_sizes;
    std::vector<std::pair<int32_t, int64_t>> eval_batches;
    double eval_ce = 0, eval_labels = 0, eval_tokens = 0;

  private:
    Trace& trace_;
};

class RecordingCallback : public Callback {
  public:
    RecordingCallback(Trace& trace, std::set<int64_t> wanted = {}, int64_t stop_at = -1)
        : trace_(trace), wanted_(std::move(wanted)), stop_at_(stop_at) {}
    void pre_train(const TrainProgress& p) override {
        trace_.events.push_back("start" + std::to_string(p.step) + (p.resumed ? "r" : ""));
    }
    void post_train_batch(const TrainProgress& p, Metrics& metrics) override {
        metrics["host/step"] = static_cast<double>(p.step);
    }
    bool wants_metrics(const TrainProgress& p) const override { return wanted_.count(p.step) > 0; }
    void log_metrics(const TrainProgress& p, const Metrics& metrics) override {
        CHECK(metrics.at("train/CE loss") == p.step);  // the device's metrics of that step
        CHECK(metrics.at("host/step") == p.step);      // and the callbacks' of that step
        trace_.events.push_back("log" + std::to_string(p.step));
    }
    void post_step(const TrainProgress& p) override {
        trace_.events.push_back("post" + std::to_string(p.step));
    }
    std::string stop_reason(const TrainProgress& p) override {
        return p.step == stop_at_ ? "SIGTERM" : "";
    }
    void post_train(const TrainProgress& p) override {
        trace_.events.push_back("end" + std::to_string(p.step) + "/" + std::to_string(p.max_steps) +
                                p.stop_reason);
    }

  private:
    Trace& trace_;
    std::set<int64_t> wanted_;
    int64_t stop_at_;
};

// 64 instances of 4 tokens; 4 instances (16 tokens) a step: 16 steps an epoch.
struct Data {
    TempDir dir;
    ladder::data::InstanceSource source;
    ladder::data::DataLoader loader;
    Data()
        : source((ladder::test::write_tokens(dir / "d.u16", 256, 2, 100),
                  std::vector<std::string>{dir / "d.u16"}),
                 4, ladder::data::TokenDtype::kUint16),
          loader(source, 4, 0, 1, 7) {}
};

TrainerSettings steps(int64_t max_steps, int64_t collect) {
    TrainerSettings settings;
    settings.max_steps = max_steps;
    settings.global_batch_tokens = 16;
    settings.metrics_collect_interval = collect;
    return settings;
}

CallbackList with(std::unique_ptr<Callback> callback) {
    CallbackList list;
    list.add(std::move(callback));
    return list;
}

}  // namespace

TEST_CASE("Trainer: metrics reach the host at step 1, every collect interval and the end",
          "[trainer]") {
    Data data;
    Trace trace;
    RecordingModule module(trace);
    Trainer trainer(steps(7, 3), data.loader, module,
                    with(std::make_unique<RecordingCallback>(trace)));
    CHECK(trainer.fit());
    CHECK(trace.joined() ==
          "sync start0 train1 read1 log1 post1 train2 post2 train3 read2 log2 read3 log3 post3 "
          "train4 post4 train5 post5 train6 read4 log4 read5 log5 read6 log6 post6 "
          "train7 read7 log7 post7 end7/7");
    CHECK(module.batch_sizes == std::vector<size_t>(7, 16));  // 4 instances of 4 tokens
}

TEST_CASE("Trainer: a callback that wants a step's metrics gets them before its post_step",
          "[trainer]") {
    Data data;
    Trace trace;
    RecordingModule module(trace);
    Trainer trainer(steps(5, 10), data.loader, module,
                    with(std::make_unique<RecordingCallback>(trace, std::set<int64_t>{3})));
    CHECK(trainer.fit());
    CHECK(trace.joined() ==
          "sync start0 train1 read1 log1 post1 train2 post2 train3 read2 log2 read3 log3 post3 "
          "train4 post4 train5 read4 log4 read5 log5 post5 end5/5");
}

TEST_CASE("Trainer: a stop reason ends the run after that step, and post_train sees it",
          "[trainer]") {
    Data data;
    Trace trace;
    RecordingModule module(trace);
    Trainer trainer(steps(100, 10), data.loader, module,
                    with(std::make_unique<RecordingCallback>(trace, std::set<int64_t>{}, 2)));
    CHECK_FALSE(trainer.fit());
    CHECK(trace.joined() ==
          "sync start0 train1 read1 log1 post1 train2 post2 read2 log2 "
          "end2/100SIGTERM");
}

TEST_CASE("Trainer: a stop in epochs ends the run at the epoch's last step", "[trainer]") {
    Data data;
    Trace trace;
    RecordingModule module(trace);
    TrainerSettings settings = steps(1000, 100);
    settings.stop_epoch = 1;
    Trainer trainer(settings, data.loader, module,
                    with(std::make_unique<RecordingCallback>(trace)));
    CHECK(trainer.fit());
    CHECK(trace.events.back() == "end16/16");  // 64 instances, 4 a step
}

TEST_CASE("Trainer: resumes from the newest checkpoint that loads, falling back past a bad one",
          "[trainer]") {
    Data data;
    const std::string folder = data.dir / "run";
    for (const char* name : {"step2", "step4", "step6-tmp"}) {
        for (const char* file : {".metadata.json", "train/rank0.json", "model_and_optim/model.pt",
                                 "model_and_optim/optim.pt"}) {
            const std::filesystem::path path = folder + "/" + name + "/" + file;
            std::filesystem::create_directories(path.parent_path());
            ladder::test::write_file(path.string(), "{}");
        }
    }
    Trace trace;
    RecordingModule module(trace);
    module.unloadable = {"step4"};
    TrainerSettings settings = steps(5, 1);
    settings.resume = true;
    settings.save_folder = folder;

    SECTION("with fallback") {
        Trainer trainer(settings, data.loader, module,
                        with(std::make_unique<RecordingCallback>(trace)));
        CHECK(trainer.fit());
        CHECK(trace.joined() ==
              "load step4 load step2 sync start2r train3 read3 log3 post3 "
              "train4 read4 log4 post4 train5 read5 log5 post5 end5/5");
        CHECK(data.loader.batches_processed() == 5);  // restored at 2, then 3 batches
        CHECK_FALSE(std::filesystem::exists(folder + "/step6-tmp"));  // a crash's leftover
    }
    SECTION("without fallback the newest checkpoint's error stops the run") {
        settings.fallback_to_previous = false;
        Trainer trainer(settings, data.loader, module,
                        with(std::make_unique<RecordingCallback>(trace)));
        CHECK_THROWS_WITH(trainer.fit(), Catch::Contains("step4' is damaged"));
    }
}

TEST_CASE("Trainer: a trainer state that disagrees with its folder or the run is damaged",
          "[trainer]") {
    Data data;
    const std::string folder = data.dir / "run";
    for (const char* name : {"step2", "step4"}) {
        for (const char* file : {".metadata.json", "train/rank0.json", "model_and_optim/model.pt",
                                 "model_and_optim/optim.pt"}) {
            const std::filesystem::path path = folder + "/" + name + "/" + file;
            std::filesystem::create_directories(path.parent_path());
            ladder::test::write_file(path.string(), "{}");
        }
    }
    const std::vector<std::pair<std::string, std::function<void(TrainerState&)>>> cases = {
        {"says step 7 in the folder of step 4", [](TrainerState& s) { s.step = 7; }},
        {"says step -4", [](TrainerState& s) { s.step = -4; }},
        {"another batch size", [](TrainerState& s) { s.tokens_seen += 1; }},
        {"is not a place in this data", [](TrainerState& s) { s.loader.batches_processed = 1000; }},
    };
    for (const auto& [message, damage] : cases) {
        INFO(message);
        Trace trace;
        RecordingModule module(trace);
        module.damaged["step4"] = damage;
        TrainerSettings settings = steps(3, 1);
        settings.resume = true;
        settings.save_folder = folder;
        SECTION(message) {
            SECTION("falls back to the checkpoint before") {
                Trainer trainer(settings, data.loader, module,
                                with(std::make_unique<RecordingCallback>(trace)));
                CHECK(trainer.fit());
                CHECK(trace.joined() ==
                      "load step4 load step2 sync start2r train3 read3 log3 "
                      "post3 end3/3");
            }
            SECTION("or stops with the reason when it may not") {
                settings.fallback_to_previous = false;
                Trainer trainer(settings, data.loader, module,
                                with(std::make_unique<RecordingCallback>(trace)));
                CHECK_THROWS_WITH(trainer.fit(), Catch::Contains("step4/train/rank0.json") &&
                                                     Catch::Contains(message));
            }
        }
    }
}

TEST_CASE("LMEvaluator: at planned steps and intervals, each rank its share of the batches",
          "[trainer][evaluator]") {
    const bool chunks = GENERATE(false, true);
    INFO((chunks ? "chunks" : "documents"));
    TempDir dir;
    // 10 documents of 4 tokens: document i is three times the token i + 2, then EOS (1).
    std::string bytes;
    for (uint16_t i = 0; i < 10; ++i) {
        for (int t = 0; t < 4; ++t) {
            const uint16_t id = t < 3 ? i + 2 : 1;
            bytes.append(reinterpret_cast<const char*>(&id), sizeof id);
        }
    }
    ladder::test::write_file(dir / "val.u16", bytes);
    Trace trace;
    RecordingModule module(trace);
    LMEvaluatorSettings settings;
    settings.sequence_length = 4;
    settings.vocab_size = 100;
    settings.eos_token_id = 1;
    settings.chunks = chunks;
    settings.batch_instances = 2;
    settings.rank = 1;
    settings.world_size = 2;
    settings.eval_steps = {1, 3};  // never at step 1, as OLMo-core
    settings.interval = 5;
    LMEvaluator evaluator({{"val", {dir / "val.u16"}}}, settings, module);

    const auto metrics_at = [&](int64_t step) {
        TrainProgress p;
        p.step = step;
        Metrics metrics;
        evaluator.post_train_batch(p, metrics);
        return metrics;
    };
    CHECK(metrics_at(0).empty());
    CHECK(metrics_at(1).empty());
    CHECK(metrics_at(4).empty());
    CHECK(module.eval_batches.empty());
    for (const int64_t step : {3, 5, 10}) {
        INFO("step " << step);
        module.eval_batches.clear();
        const Metrics m = metrics_at(step);
        // Rank 1 of 2, batches of 2: instances 2-3 and 6-7 (0-1, 4-5 and 8-9 are rank 0's),
        // then an empty batch while rank 0 evaluates 8-9.
        CHECK(module.eval_batches ==
              std::vector<std::pair<int32_t, int64_t>>{{4, 2}, {8, 2}, {-1, 0}});
        // The module's totals: divided by the own tokens (OLMo-core's MeanMetric) for
        // documents, by the labels for chunks.
        const double ce = chunks ? 4.0 / 12.0 : 4.0 / 16.0;
        CHECK(m.at("eval/lm/val/CE loss") == Approx(ce));
        CHECK(m.at("eval/lm/val/PPL") == Approx(std::exp(ce)));
        CHECK(m.at("throughput/in-loop eval batches") == 2);
    }
    CHECK(trace.joined() == "totals totals totals");  // once per set and evaluation
}
