// Checkpoint files against the tensors they were taken from.
#include <ATen/ATen.h>
#include <torch/utils.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "model/transformer.hpp"
#include "optim/skip_step_adamw.hpp"
#include "train/checkpoint.hpp"

using namespace ladder;

namespace {

ModelSpec small_spec() {
    ModelSpec spec;
    spec.family = "olmo2";
    spec.d_model = 32;
    spec.n_layers = 1;
    spec.n_heads = 4;
    spec.n_kv_heads = 4;
    spec.head_dim = 8;
    spec.hidden_size = 64;
    spec.vocab_size = 64;
    return spec;
}

struct Rung {
    model::Transformer model{small_spec()};
    std::unique_ptr<optim::SkipStepAdamW> optimizer;

    explicit Rung(uint64_t seed) {
        model->initialize(seed);
        optimizer = std::make_unique<optim::SkipStepAdamW>(
            std::vector<optim::ParamGroup>{{model->parameters(), 0.1}},
            optim::AdamWSettings{0.9, 0.95, 1e-8});
    }
};

}  // namespace

TEST_CASE("a checkpoint written in the background holds the values of when it was taken",
          "[checkpoint]") {
    char pattern[] = "/tmp/ladder-checkpoint-XXXXXX";
    const std::string folder = mkdtemp(pattern);
    Rung rung(1);
    train::TrainerState state;
    state.step = 3;
    state.tokens_seen = 3000;
    auto taken = train::take_checkpoint(rung.model, *rung.optimizer, state, "{}\n",
                                        /*ephemeral=*/false, /*copy=*/true);
    std::vector<at::Tensor> at_checkpoint;
    for (const auto& p : rung.model->parameters())
        at_checkpoint.push_back(p.detach().clone());
    {
        // Training goes on before the writer gets to the tensors.
        torch::NoGradGuard no_grad;
        for (auto& p : rung.model->parameters())
            p.add_(1.0);
    }
    train::CheckpointWriter writer(folder, /*async=*/true);
    writer.save(taken);
    writer.wait();

    Rung loaded(2);
    const train::TrainerState read =
        train::load_checkpoint(folder + "/step3", loaded.model, *loaded.optimizer);
    CHECK(read.step == 3);
    CHECK(read.tokens_seen == 3000);
    const auto parameters = loaded.model->parameters();
    REQUIRE(parameters.size() == at_checkpoint.size());
    for (size_t i = 0; i < parameters.size(); ++i)
        CHECK(at::equal(parameters[i], at_checkpoint[i]));
    std::filesystem::remove_all(folder);
}
