// The OLMo-2/OLMo-3 size table: FFN widths, exact parameter counts, FLOPs per token and
// size-name parsing, checked against OLMo-core's olmo_core/nn/transformer/config.py (the
// olmo2_*/olmo3_* builders, TransformerConfig.num_params, num_flops_per_token).
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "ladder/model_spec.hpp"
#include "unit/config_with.hpp"

using ladder::find_model_spec;
using ladder::ModelSpec;
using ladder::parse_size_count;
using ladder::swiglu_hidden_size;
using ladder::config::LadderConfig;
using ladder::config::load_config;
using ladder::config::Override;

namespace {

LadderConfig config_for(const std::string& family) {
    return ladder::test::config_with({{"model.family", family}});
}

ModelSpec spec_of(const std::string& family, const std::string& size) {
    const auto spec = find_model_spec(config_for(family), size);
    REQUIRE(spec);
    return *spec;
}

struct SizeRow {
    const char* size;
    int64_t d_model;
    int64_t n_layers;
    int64_t n_heads;
    int64_t n_kv_heads;
    int64_t head_dim;
    int64_t hidden_size;
    int64_t non_embedding_params;
    int64_t total_params;
};

double count_of(const std::string& size) {
    const auto count = parse_size_count(size);
    REQUIRE(count);
    return *count;
}

void check_row(const ModelSpec& spec, const SizeRow& row) {
    INFO("size " << row.size << ", family " << spec.family);
    CHECK(spec.d_model == row.d_model);
    CHECK(spec.n_layers == row.n_layers);
    CHECK(spec.n_heads == row.n_heads);
    CHECK(spec.n_kv_heads == row.n_kv_heads);
    CHECK(spec.head_dim == row.head_dim);
    CHECK(spec.hidden_size == row.hidden_size);
    CHECK(spec.vocab_size == 100352);
    CHECK(spec.num_non_embedding_params() == row.non_embedding_params);
    CHECK(spec.num_params() == row.total_params);
}

// TransformerConfig.olmo2_<size> / olmo3_<size>: rows both families share (vocab 100,352).
const std::vector<SizeRow> kSharedRows = {
    {"1M", 12, 4, 4, 4, 4, 256, 1244396, 2448620},
    {"14M", 128, 4, 8, 8, 16, 512, 13895808, 26740864},
    {"30M", 256, 4, 8, 8, 32, 768, 29102336, 54792448},
    {"60M", 384, 8, 8, 8, 48, 1536, 57422208, 95957376},
    {"100M", 512, 12, 8, 8, 64, 2048, 101736960, 153117184},
    {"190M", 768, 12, 12, 12, 64, 3072, 190354176, 267424512},
    {"370M", 1024, 16, 16, 16, 64, 4096, 371262464, 474022912},
    {"760M", 1536, 16, 16, 16, 96, 6144, 758220288, 912360960},
    {"3B", 3328, 16, 16, 16, 208, 13312, 3169537280, 3503508736},
    {"7B", 4096, 32, 32, 32, 128, 11008, 6887575552, 7298617344},
    {"13B", 5120, 40, 40, 40, 128, 13824, 13202396160, 13716198400},
    {"32B", 5120, 64, 40, 8, 128, 27648, 31720477696, 32234279936},
};

// The rows where the families differ: olmo3_600M (d_model 1280), olmo3_1B (olmo2_1B_v2).
const SizeRow kOlmo2_600M = {"600M", 1344, 16, 16, 16, 84, 5376, 597382464, 732255552};
const SizeRow kOlmo3_600M = {"600M", 1280, 16, 16, 16, 80, 5120, 547964160, 676414720};
const SizeRow kOlmo2_1B = {"1B", 2048, 18, 16, 16, 128, 8192, 1413629952, 1619150848};
const SizeRow kOlmo3_1B = {"1B", 2048, 16, 16, 16, 128, 8192, 1279395840, 1484916736};

}  // namespace

TEST_CASE("swiglu_hidden_size follows the FFN rule", "[model_spec]") {
    // TransformerConfig.llama_like: int(8d/3), times the multiplier (truncated), up to a multiple.
    CHECK(swiglu_hidden_size(12, 1.0, 256) == 256);
    CHECK(swiglu_hidden_size(128, std::nullopt, 256) == 512);
    CHECK(swiglu_hidden_size(256, std::nullopt, 256) == 768);
    CHECK(swiglu_hidden_size(384, 1.5, 256) == 1536);
    CHECK(swiglu_hidden_size(768, 1.5, 256) == 3072);
    CHECK(swiglu_hidden_size(1344, 1.5, 256) == 5376);
    CHECK(swiglu_hidden_size(1280, 1.5, 256) == 5120);
    CHECK(swiglu_hidden_size(3328, 1.5, 256) == 13312);
    CHECK(swiglu_hidden_size(4096, std::nullopt, 256) == 11008);
    CHECK(swiglu_hidden_size(5120, std::nullopt, 256) == 13824);
    CHECK(swiglu_hidden_size(5120, 27648.0 / (8.0 * 5120.0 / 3.0), 512) == 27648);
    // Already a multiple: no rounding up.
    CHECK(swiglu_hidden_size(96, std::nullopt, 256) == 256);
    CHECK(swiglu_hidden_size(96, std::nullopt, 1) == 256);
}

TEST_CASE("size table: every row, both families", "[model_spec]") {
    for (const auto& row : kSharedRows) {
        check_row(spec_of("olmo2", row.size), row);
        check_row(spec_of("olmo3", row.size), row);
    }
    check_row(spec_of("olmo2", "600M"), kOlmo2_600M);
    check_row(spec_of("olmo3", "600M"), kOlmo3_600M);
    check_row(spec_of("olmo2", "1B"), kOlmo2_1B);
    check_row(spec_of("olmo3", "1B"), kOlmo3_1B);
}

TEST_CASE("the default config uses the olmo3 family", "[model_spec]") {
    const LadderConfig config = load_config(std::nullopt, {});
    const auto spec = find_model_spec(config, "600M");
    REQUIRE(spec);
    CHECK(spec->family == "olmo3");
    CHECK(spec->num_non_embedding_params() == 547964160);
    CHECK_FALSE(find_model_spec(config, "42M"));
}

TEST_CASE("olmo3 sliding-window pattern", "[model_spec]") {
    // olmo3_* SlidingWindowAttentionConfig: [4096, 4096, 4096, -1] repeated; the last layer is
    // always full.
    const ModelSpec olmo3 = spec_of("olmo3", "190M");
    for (int64_t layer = 0; layer < olmo3.n_layers; ++layer) {
        INFO("layer " << layer);
        const bool global = layer % 4 == 3 || layer == olmo3.n_layers - 1;
        CHECK(olmo3.window(layer) == (global ? -1 : 4096));
    }
    // 370M: 16 layers, so layer 15 is global through the pattern and the last-layer rule.
    const ModelSpec olmo3_370 = spec_of("olmo3", "370M");
    CHECK(olmo3_370.window(14) == 4096);
    CHECK(olmo3_370.window(15) == -1);
    // 1M: 4 layers; layer 3 is global.
    const ModelSpec olmo3_1 = spec_of("olmo3", "1M");
    CHECK(olmo3_1.window(2) == 4096);
    CHECK(olmo3_1.window(3) == -1);

    const ModelSpec olmo2 = spec_of("olmo2", "190M");
    for (int64_t layer = 0; layer < olmo2.n_layers; ++layer)
        CHECK(olmo2.window(layer) == -1);
}

TEST_CASE("flops_per_token at sequence length 8192", "[model_spec]") {
    // TransformerConfig.num_flops_per_token, derived values (V = 100,352).
    CHECK(spec_of("olmo2", "190M").flops_per_token(8192) == 2047984128);
    CHECK(spec_of("olmo3", "190M").flops_per_token(8192) == 1708245504);
    CHECK(spec_of("olmo3", "1B").flops_per_token(8192) == 9689247744);
    // The facts' olmo2 1B value is the 16-layer model (olmo2_1B_v2) without sliding windows.
    ModelSpec full_attention_1b = spec_of("olmo3", "1B");
    full_attention_1b.window_pattern.clear();
    CHECK(full_attention_1b.flops_per_token(8192) == 10897207296);
    CHECK(spec_of("olmo2", "7B").flops_per_token(8192) == 54208782336);
    CHECK(spec_of("olmo3", "7B").flops_per_token(8192) == 49376944128);
    CHECK(spec_of("olmo2", "13B").flops_per_token(8192) == 99344578560);
    CHECK(spec_of("olmo3", "13B").flops_per_token(8192) == 91794831360);
}

TEST_CASE("flops_per_token: windows no longer than the sequence change nothing", "[model_spec]") {
    // At seq <= 4096 every window covers the whole sequence, so olmo2 == olmo3.
    for (const char* size : {"190M", "7B"}) {
        INFO(size);
        CHECK(spec_of("olmo2", size).flops_per_token(4096) ==
              spec_of("olmo3", size).flops_per_token(4096));
        CHECK(spec_of("olmo2", size).flops_per_token(2048) ==
              spec_of("olmo3", size).flops_per_token(2048));
    }
}

TEST_CASE("builtin size names, smallest first", "[model_spec]") {
    CHECK(ladder::builtin_size_names() ==
          std::vector<std::string>{"1M", "14M", "30M", "60M", "100M", "190M", "370M", "600M",
                                   "760M", "1B", "3B", "7B", "13B", "32B"});
}

TEST_CASE("parse_size_count", "[model_spec]") {
    // olmo_core/model_ladder/transformer_model_configurator.py, TransformerSize.approx_num_params:
    // "<number><K|M|B|T>", K = 1e3 ... T = 1e12.
    CHECK(count_of("190M") == Approx(190e6).epsilon(1e-12));
    CHECK(count_of("60M") == Approx(60e6).epsilon(1e-12));
    CHECK(count_of("1B") == Approx(1e9).epsilon(1e-12));
    CHECK(count_of("13B") == Approx(13e9).epsilon(1e-12));
    CHECK(count_of("1.5K") == Approx(1500).epsilon(1e-12));
    CHECK(count_of("2T") == Approx(2e12).epsilon(1e-12));
    CHECK(count_of("1M") == Approx(1e6).epsilon(1e-12));

    CHECK_FALSE(parse_size_count(""));
    CHECK_FALSE(parse_size_count("M"));
    CHECK_FALSE(parse_size_count("190"));
    CHECK_FALSE(parse_size_count("190X"));
    CHECK_FALSE(parse_size_count("tinyM"));
    CHECK_FALSE(parse_size_count("1.5.0M"));
    CHECK_FALSE(parse_size_count("0M"));
    CHECK_FALSE(parse_size_count("-5M"));
}
