// safetensors files and the Hugging Face names and configs of ladder's models, on files and
// configs made by hand: byte layouts checked against the format's specification, every bad
// file refused with its name and what is wrong.
#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/run_ladder.hpp"
#include "hf/olmo_format.hpp"
#include "hf/safetensors.hpp"

using ladder::ModelSpec;
using ladder::test::read_file;
using ladder::test::TempDir;
using ladder::test::usage_error_of;
using ladder::test::write_file;
using namespace ladder::hf;
using nlohmann::json;

namespace {

std::string u64(uint64_t value) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}

// A safetensors file from a header and a buffer, as the specification lays it out.
std::string safetensors_bytes(const json& header, const std::string& buffer) {
    const std::string text = header.dump();
    return u64(text.size()) + text + buffer;
}

ModelSpec olmo3_spec() {
    ModelSpec spec;
    spec.family = "olmo3";
    spec.d_model = 64;
    spec.n_layers = 6;
    spec.n_heads = 4;
    spec.n_kv_heads = 2;
    spec.head_dim = 16;
    spec.hidden_size = 192;
    spec.vocab_size = 512;
    spec.rope_theta = 500000;
    spec.window_pattern = {4096, 4096, 4096, -1};
    return spec;
}

}  // namespace

TEST_CASE("safetensors: the writer lays out the specification's bytes", "[hf]") {
    const TempDir dir;
    const std::string path = dir / "t.safetensors";
    {
        SafetensorsWriter writer(path, {{"b", "F32", {2}}, {"a", "BF16", {1, 3}}},
                                 {{"format", "pt"}});
        const float b[2] = {1.5f, -2.0f};
        const uint16_t a[3] = {0x3f80, 0x4000, 0xc040};  // 1, 2, -3 in bfloat16
        writer.write(b, sizeof b);
        writer.write(a, 2);  // a tensor may arrive in pieces
        writer.write(reinterpret_cast<const char*>(a) + 2, 4);
        writer.close();
    }
    const std::string bytes = read_file(path);
    uint64_t length = 0;
    for (int i = 0; i < 8; ++i)
        length |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    REQUIRE((8 + length) % 8 == 0);  // the buffer starts aligned; the header padded with spaces
    REQUIRE(bytes.size() == 8 + length + 14);
    const json header = json::parse(bytes.substr(8, length));
    REQUIRE(header["b"] == json{{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}});
    REQUIRE(header["a"] == json{{"dtype", "BF16"}, {"shape", {1, 3}}, {"data_offsets", {8, 14}}});
    REQUIRE(header["__metadata__"] == json{{"format", "pt"}});
    float first = 0;
    std::memcpy(&first, bytes.data() + 8 + length, 4);
    REQUIRE(first == 1.5f);

    const SafetensorsFile file(path);
    REQUIRE(file.tensors().size() == 2);
    REQUIRE(file.metadata().at("format") == "pt");
    const TensorEntry* a = file.find("a");
    REQUIRE(a);
    REQUIRE(a->shape == std::vector<int64_t>{1, 3});
    uint16_t read_back[3];
    file.read(*a, read_back);
    REQUIRE(read_back[2] == 0xc040);
    REQUIRE_FALSE(file.find("c"));
}

TEST_CASE("safetensors: a damaged file is refused with its name and the fault", "[hf]") {
    const TempDir dir;
    const auto error_of = [&](const std::string& bytes) {
        write_file(dir / "bad.safetensors", bytes);
        return usage_error_of([&] { SafetensorsFile file(dir / "bad.safetensors"); });
    };
    const json two = {{"x", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}}}};
    const std::string good = safetensors_bytes(two, std::string(8, '\1'));
    REQUIRE_THAT(error_of(good.substr(0, good.size() - 3)),
                 Catch::Contains("tensor 'x': data_offsets [0, 8] lie outside its 5-byte buffer "
                                 "(a truncated file?)"));
    REQUIRE_THAT(error_of(good + "xx"), Catch::Contains("hold 8 bytes but the buffer has 10"));
    REQUIRE_THAT(error_of("abc"), Catch::Contains("shorter than its 8-byte header length"));
    REQUIRE_THAT(error_of(u64(1000) + "{}"), Catch::Contains("header length 1000 does not fit"));
    REQUIRE_THAT(error_of(u64(3) + "{x}"), Catch::Contains("header is not JSON"));
    REQUIRE_THAT(error_of(safetensors_bytes(
                     {{"x", {{"dtype", "F32"}, {"shape", {3}}, {"data_offsets", {0, 8}}}}},
                     std::string(8, '\0'))),
                 Catch::Contains("8 bytes for 3 F32 elements"));
    REQUIRE_THAT(error_of(safetensors_bytes(
                     {{"x", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {4, 8}}}}},
                     std::string(8, '\0'))),
                 Catch::Contains("starts at byte 4, expected 0 (a hole or an overlap)"));
    REQUIRE_THAT(error_of(safetensors_bytes(
                     {{"x", {{"dtype", "Q4"}, {"shape", {1}}, {"data_offsets", {0, 1}}}}},
                     std::string(1, '\0'))),
                 Catch::Contains("unknown dtype 'Q4'"));
    REQUIRE_THAT(error_of(good), Catch::Equals("(no error)"));
}

TEST_CASE("hf: parameter names are OLMo-core's conversion's", "[hf]") {
    REQUIRE(hf_parameter_name("embeddings.weight") == "model.embed_tokens.weight");
    REQUIRE(hf_parameter_name("blocks.11.attention.w_q.weight") ==
            "model.layers.11.self_attn.q_proj.weight");
    REQUIRE(hf_parameter_name("blocks.0.attention.k_norm.weight") ==
            "model.layers.0.self_attn.k_norm.weight");
    REQUIRE(hf_parameter_name("blocks.2.attention_norm.weight") ==
            "model.layers.2.post_attention_layernorm.weight");
    REQUIRE(hf_parameter_name("blocks.2.feed_forward.w1.weight") ==
            "model.layers.2.mlp.gate_proj.weight");
    REQUIRE(hf_parameter_name("blocks.2.feed_forward.w3.weight") ==
            "model.layers.2.mlp.up_proj.weight");
    REQUIRE(hf_parameter_name("blocks.2.feed_forward_norm.weight") ==
            "model.layers.2.post_feedforward_layernorm.weight");
    REQUIRE(hf_parameter_name("lm_head.norm.weight") == "model.norm.weight");
    REQUIRE(hf_parameter_name("lm_head.w_out.weight") == "lm_head.weight");
    REQUIRE_THROWS_WITH(hf_parameter_name("blocks.1.attention.w_qkv.weight"),
                        Catch::Contains("no Hugging Face name"));
}

TEST_CASE("hf: olmo3 configs write every layer's type; they read back as the same model", "[hf]") {
    const ModelSpec spec = olmo3_spec();
    const json config = hf_config(spec, 8192, 500, {1, std::nullopt, 0}, "bfloat16");
    REQUIRE(config["architectures"] == json{"Olmo3ForCausalLM"});
    REQUIRE(config["model_type"] == "olmo3");
    REQUIRE(config["vocab_size"] == 500);
    REQUIRE(config["max_position_embeddings"] == 8192);
    REQUIRE(config["num_key_value_heads"] == 2);
    REQUIRE(config["sliding_window"] == 4096);
    REQUIRE(config["tie_word_embeddings"] == false);
    REQUIRE(config["bos_token_id"].is_null());
    // The last of 6 layers is full, where HF's default ((i + 1) % 4 == 0) would slide.
    REQUIRE(config["layer_types"] == json{"sliding_attention", "sliding_attention",
                                          "sliding_attention", "full_attention",
                                          "sliding_attention", "full_attention"});
    const HfModel back = read_hf_config(config, "config.json");
    REQUIRE(spec_differences(back, spec).empty());
    ModelSpec other = spec;
    other.d_model = 128;
    other.window_pattern = {};
    REQUIRE(spec_differences(back, other) ==
            std::vector<std::string>{"d_model 64 (the size has 128)"});
    other = spec;
    other.window_pattern = {-1};
    REQUIRE_THAT(spec_differences(back, other).at(0),
                 Catch::StartsWith("layer 0 window 4096 (the size has -1"));

    ModelSpec olmo2 = spec;
    olmo2.family = "olmo2";
    olmo2.window_pattern = {};
    const json config2 = hf_config(olmo2, 4096, 512, {}, "float32");
    REQUIRE(config2["model_type"] == "olmo2");
    REQUIRE_FALSE(config2.contains("layer_types"));
    REQUIRE_FALSE(config2.contains("head_dim"));  // d_model / n_heads, as HF derives it
    ModelSpec wide = olmo2;
    wide.head_dim = 32;  // wider heads than d_model / n_heads: written out, read back
    const json config3 = hf_config(wide, 4096, 512, {}, "float32");
    REQUIRE(config3["head_dim"] == 32);
    REQUIRE(spec_differences(read_hf_config(config3, "c.json"), wide).empty());
}

TEST_CASE("hf: configs of other models are refused naming what was found", "[hf]") {
    json config = hf_config(olmo3_spec(), 8192, 500, {}, "bfloat16");
    config["model_type"] = "llama";
    REQUIRE_THAT(usage_error_of([&] { read_hf_config(config, "c.json"); }),
                 Catch::Contains("c.json': model_type: expected olmo2 or olmo3, found 'llama'"));
    config["model_type"] = "olmo3";
    config["tie_word_embeddings"] = true;
    REQUIRE_THAT(usage_error_of([&] { read_hf_config(config, "c.json"); }),
                 Catch::Contains("tie_word_embeddings: expected false, found true"));
    config["tie_word_embeddings"] = false;
    config["layer_types"] = json{"full_attention"};
    REQUIRE_THAT(usage_error_of([&] { read_hf_config(config, "c.json"); }),
                 Catch::Contains("layer_types: expected one entry per layer (6)"));
    config.erase("layer_types");
    REQUIRE_THAT(usage_error_of([&] { read_hf_config(config, "c.json"); }),
                 Catch::Contains("layer_types: missing"));
}
