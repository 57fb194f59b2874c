// A model written as a Hugging Face folder and read back by a reference of transformers'
// Olmo2/Olmo3 forward (tests/reference/hf_olmo_reference.py, PyTorch from Debian's
// python3-torch): its logits must equal ladder's within fp32 rounding, for olmo2, olmo3 with
// sliding windows shorter than the sequence, and grouped-query attention. Then the folder is
// read back into a fresh model: the same weights, bit for bit.
#include <ATen/ATen.h>
#include <torch/utils.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "e2e/run_ladder.hpp"
#include "hf/olmo_format.hpp"
#include "model/transformer.hpp"
#include "train/hf_weights.hpp"

using ladder::ModelSpec;
using ladder::test::read_file;
using ladder::test::TempDir;
using ladder::test::write_file;
using nlohmann::json;

namespace {

ModelSpec spec_of(const std::string& family, int64_t n_heads, int64_t n_kv_heads,
                  std::vector<int64_t> windows) {
    ModelSpec spec;
    spec.family = family;
    spec.d_model = 64;
    spec.n_layers = 4;
    spec.n_heads = n_heads;
    spec.n_kv_heads = n_kv_heads;
    spec.head_dim = 64 / n_heads;
    spec.hidden_size = 160;
    spec.vocab_size = 256;  // padded; the tokenizer has 250
    spec.rope_theta = 10000.0;
    spec.norm_eps = 1e-6;
    spec.window_pattern = std::move(windows);
    return spec;
}

// A model whose every weight, norms included, is random: a swapped name cannot hide.
ladder::model::Transformer random_model(const ModelSpec& spec, uint64_t seed) {
    ladder::model::Transformer model(spec);
    model->initialize(seed);
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters()) {
        if (p.key().find("norm") != std::string::npos)
            p.value().uniform_(0.5, 1.5);
    }
    return model;
}

void check_against_reference(const ModelSpec& spec) {
    const TempDir dir;
    auto model = random_model(spec, 7);
    const int64_t vocab = 250;
    ladder::train::write_hf_weights(model, dir.path, at::kFloat, 40000, vocab);
    write_file(dir / "config.json",
               ladder::hf::hf_config(spec, 64, vocab, {1, std::nullopt, 0}, "float32").dump());
    const int64_t B = 2, T = 40;
    const at::Tensor tokens = at::randint(vocab, {B, T}, at::TensorOptions().dtype(at::kLong));
    std::vector<std::vector<int64_t>> rows(B);
    for (int64_t b = 0; b < B; ++b) {
        for (int64_t t = 0; t < T; ++t)
            rows[b].push_back(tokens[b][t].item<int64_t>());
    }
    write_file(dir / "tokens.json", json(rows).dump());
    const std::string command = "/usr/bin/python3 '" + std::string(LADDER_SOURCE_DIR) +
                                "/tests/reference/hf_olmo_reference.py' '" + dir.path + "' '" +
                                (dir / "tokens.json") + "' '" + (dir / "logits.f32") + "'";
    INFO(command);
    REQUIRE(std::system(command.c_str()) == 0);
    const std::string bytes = read_file(dir / "logits.f32");
    REQUIRE(bytes.size() == static_cast<size_t>(B * T * vocab) * 4);
    const at::Tensor theirs =
        at::from_blob(const_cast<char*>(bytes.data()), {B, T, vocab}, at::kFloat).clone();
    torch::NoGradGuard no_grad;
    const at::Tensor ours = model->forward(tokens).narrow(2, 0, vocab);
    const double difference = (ours - theirs).abs().max().item<double>();
    INFO("largest difference " << difference << ", logits up to "
                               << theirs.abs().max().item<double>());
    CHECK(difference < 1e-4);

    // The folder read back: every weight bit for bit, the padding rows zero.
    auto back = random_model(spec, 99);
    ladder::train::read_hf_weights(dir.path, back);
    for (const auto& p : model->named_parameters()) {
        INFO(p.key());
        const at::Tensor mine = back->named_parameters()[p.key()];
        const int64_t rows_kept =
            p.key() == "embeddings.weight" || p.key() == "lm_head.w_out.weight" ? vocab
                                                                                : p.value().size(0);
        CHECK(at::equal(mine.narrow(0, 0, rows_kept), p.value().narrow(0, 0, rows_kept)));
        if (rows_kept < mine.size(0))
            CHECK(mine.narrow(0, rows_kept, mine.size(0) - rows_kept).abs().max().item<float>() ==
                  0);
    }
}

}  // namespace

TEST_CASE("hf export: olmo2 logits equal transformers' Olmo2 forward", "[hf]") {
    check_against_reference(spec_of("olmo2", 4, 4, {}));
}

TEST_CASE("hf export: olmo3 with sliding windows and GQA equals transformers' Olmo3 forward",
          "[hf]") {
    // Windows of 12 tokens in a 40-token sequence: layers 0 and 2 slide, 1 and 3 are full.
    check_against_reference(spec_of("olmo3", 8, 2, {12, -1}));
}

TEST_CASE("hf export: heads wider than d_model / n_heads are written as head_dim", "[hf]") {
    ModelSpec spec = spec_of("olmo2", 4, 2, {});
    spec.head_dim = 24;  // 4 heads of 24 in a 64-wide model
    check_against_reference(spec);
}
