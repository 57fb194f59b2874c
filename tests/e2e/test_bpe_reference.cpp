// Byte-level BPE ids checked against the reference tokenizers from npm, which
// scripts/setup_tokenizers.sh installs beside the rank files: `tiktoken` (OpenAI's Rust BPE as
// WASM) for the dolma2 and gpt2 presets and for .tiktoken files, `@huggingface/tokenizers`
// for tokenizer.json. The texts cover what pre-tokenization gets wrong first: Unicode
// letters, marks and digits of many scripts, whitespace runs and Unicode spaces, digit runs,
// contractions in any case, code, and added tokens inside words.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/run_ladder.hpp"
#include "tokenizer/bpe_loader.hpp"

using ladder::test::read_file;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_file;
using nlohmann::json;

namespace {

namespace fs = std::filesystem;

std::string utf8(uint32_t c) {
    std::string out;
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xc0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xe0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (c & 0x3f));
    }
    return out;
}

// Hand-written cases, then every 31st code point in small contexts, then random mixtures of
// the characters pre-tokenizers treat differently.
std::vector<std::string> reference_texts() {
    std::vector<std::string> texts = {
        "Hello world",
        "I'M here, you'll see: it's 12345678 dollars! HE'S 'S 'll 'Ll",
        "   leading and   multiple   spaces\n\n\n\ttabs\r\n  \r\n",
        "def f(x):\n    return x**2  # comment\n\n\tif (a&&b) { c[i] += 0x1F; }\n",
        "日本語のテキスト、中文文本 and emoji 🎉👍🏽 and combining é (e\u0301)",
        "Ünïcödé Ωmega ß straße ﬁ ǅ Ǆ K Å ſ",
        "a\u0085b c\u180ed e\u00a0f g\u2028h i\u2029j k\u200bl m\u3000n o\u000bp q\u000cr",
        "<|endoftext|>special<|fim_prefix|> x <|im_start|>user<|im_end|>",
        "numbers 1 12 123 1234 12345 ١٢٣٤ ²³ ⅷ 𝟙𝟚𝟛 ０１２",
        std::string(300, 'x') + std::string(70, ' ') + "y",
        "\n\n\n   \n",
        " ",
        "العربية עברית हिन्दी ไทย 한국어 ქართული",
        "<|pad|><|extra_id_3|>|||PHONE_NUMBER|||a<|extra_id_10|>b<|extra_id_1|>",
        "<|endoftext",
        "http://example.com/path?q=1&r=2#frag user@example.com 192.168.0.1",
    };
    std::string sweep;
    for (uint32_t c = 0x20; c < 0x30000; c += 31) {
        if (c >= 0xd800 && c <= 0xdfff)
            continue;
        sweep += utf8(c);
        sweep += (c / 31) % 3 == 0 ? " " : (c / 31) % 5 == 0 ? "1" : "a";
        if (sweep.size() > 400) {
            texts.push_back(sweep);
            sweep.clear();
        }
    }
    texts.push_back(sweep);
    const std::vector<std::string> palette = {
        " ",      "  ",     "\n", "\r\n", "\t",   "a",    "Z",      "é",
        "ß",      "1",      "23", "456",  "'s",   "'T",   "'",      ".",
        ",",      "!?",     "(",  "😀",    "中",   "ا",    "\u0301", "\u00a0",
        "\u3000", "\u0085", "_",  "-",    "word", "Word", "WORD",   "<|endoftext|>",
        "\u200d", "\u180e"};
    uint64_t state = 42;
    for (int t = 0; t < 400; ++t) {
        std::string text;
        const int pieces = 1 + t % 40;
        for (int p = 0; p < pieces; ++p) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            text += palette[(state >> 33) % palette.size()];
        }
        texts.push_back(text);
    }
    return texts;
}

const std::string& node_path() {
    static const std::string path =
        (fs::path(ladder::tokenizer::tokenizer_folder()) / "npm" / "node_modules").string();
    return path;
}

std::string reference_script() {
    return (fs::path(LADDER_SOURCE_DIR) / "tests" / "reference" / "bpe_reference.js").string();
}

// Runs the reference script in `dir`.
void run_reference(const TempDir& dir, const std::string& args) {
    INFO("the reference tokenizers come from scripts/setup_tokenizers.sh, in " << node_path());
    REQUIRE(fs::exists(node_path()));
    const std::string command = "cd '" + dir.path + "' && NODE_PATH='" + node_path() + "' node '" +
                                reference_script() + "' " + args;
    REQUIRE(std::system(command.c_str()) == 0);
}

// The reference ids of texts.json, written by the script as ids.json.
json reference_ids(const TempDir& dir, const std::string& args) {
    run_reference(dir, args + " texts.json ids.json");
    return json::parse(read_file(dir / "ids.json"));
}

json added_tokens_json(const ladder::tokenizer::BpeTokenizer& tokenizer) {
    json added = json::object();
    for (const auto& token : tokenizer.added_tokens().tokens())
        added[token.content] = token.id;
    return added;
}

std::vector<std::vector<int32_t>> encode_all(const ladder::tokenizer::BpeTokenizer& tokenizer,
                                             const std::vector<std::string>& texts) {
    ladder::tokenizer::BpeTokenizer::Session session;
    std::vector<std::vector<int32_t>> all;
    for (const std::string& text : texts) {
        all.emplace_back();
        tokenizer.encode(text, all.back(), session);
    }
    return all;
}

void require_same_ids(const std::vector<std::vector<int32_t>>& ours, const json& theirs,
                      const std::vector<std::string>& texts) {
    REQUIRE(theirs.size() == ours.size());
    size_t tokens = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
        INFO("text " << i << ": " << json(texts[i]).dump());
        REQUIRE(theirs[i].get<std::vector<int32_t>>() == ours[i]);
        tokens += ours[i].size();
    }
    REQUIRE(tokens > 10000);  // the comparison covered real work
}

}  // namespace

TEST_CASE("bpe: the dolma2 preset gives tiktoken's cl100k_base ids with dolma2's added tokens",
          "[bpe]") {
    const TempDir dir;
    const auto texts = reference_texts();
    const auto loaded = ladder::tokenizer::load_bpe("dolma2");
    REQUIRE(loaded.tokenizer.vocab_size() == 100278);
    REQUIRE(loaded.eos_id == 100257);
    write_file(dir / "texts.json", json(texts).dump());
    write_file(dir / "added.json", added_tokens_json(loaded.tokenizer).dump());
    const json theirs = reference_ids(dir, "tiktoken cl100k_base added.json");
    require_same_ids(encode_all(loaded.tokenizer, texts), theirs, texts);
}

TEST_CASE("bpe: the gpt2 preset and r50k_base.tiktoken give tiktoken's r50k_base ids", "[bpe]") {
    const TempDir dir;
    const auto texts = reference_texts();
    write_file(dir / "texts.json", json(texts).dump());
    write_file(dir / "added.json", json{{"<|endoftext|>", 50256}}.dump());
    const json theirs = reference_ids(dir, "tiktoken r50k_base added.json");
    const auto preset = ladder::tokenizer::load_bpe("gpt2");
    REQUIRE(preset.tokenizer.vocab_size() == 50257);
    require_same_ids(encode_all(preset.tokenizer, texts), theirs, texts);
    const auto file = ladder::tokenizer::load_bpe(ladder::tokenizer::bpe_file("gpt2"));
    require_same_ids(encode_all(file.tokenizer, texts), theirs, texts);
}

TEST_CASE("bpe: cl100k_base.tiktoken read with tiktoken's merges gives tiktoken's ids", "[bpe]") {
    const TempDir dir;
    const auto texts = reference_texts();
    const auto loaded = ladder::tokenizer::load_bpe(ladder::tokenizer::bpe_file("dolma2"));
    write_file(dir / "texts.json", json(texts).dump());
    write_file(dir / "added.json", added_tokens_json(loaded.tokenizer).dump());
    const json theirs = reference_ids(dir, "tiktoken cl100k_base added.json");
    require_same_ids(encode_all(loaded.tokenizer, texts), theirs, texts);
}

TEST_CASE("bpe: a tokenizer.json gives @huggingface/tokenizers' ids, and dolma2's", "[bpe]") {
    const TempDir dir;
    const auto texts = reference_texts();
    const auto preset = ladder::tokenizer::load_bpe("dolma2");
    write_file(dir / "texts.json", json(texts).dump());
    write_file(dir / "added.json", added_tokens_json(preset.tokenizer).dump());
    // cl100k_base converted as allenai/dolma2-tokenizer's tokenizer.json was made.
    run_reference(dir, "convert cl100k_base added.json tokenizer.json");
    const json theirs = reference_ids(dir, "hf tokenizer.json");
    const auto loaded = ladder::tokenizer::load_bpe(dir / "tokenizer.json");
    REQUIRE(loaded.tokenizer.vocab_size() == 100278);
    const auto ours = encode_all(loaded.tokenizer, texts);
    require_same_ids(ours, theirs, texts);
    require_same_ids(encode_all(preset.tokenizer, texts), theirs, texts);
}

TEST_CASE("bpe: ladder tokenize --tokenizer dolma2 writes OLMo's uint32 ids", "[bpe]") {
    const TempDir dir;
    // Documents as dolma tokenizes them: stripped, EOS added unless the text ends with it.
    const std::vector<std::string> documents = {
        "  The first document.\n", "Zweites Dokument: 12345 Ünïcödé!", "\t\n  ",
        "ends with EOS<|endoftext|>", "code:\n\tx = [1, 2]  # ok\n"};
    std::string jsonl;
    for (const std::string& text : documents)
        jsonl += json{{"text", text}}.dump() + "\n";
    write_file(dir / "docs.jsonl", jsonl);
    const std::vector<std::string> stripped = {
        "The first document.", "Zweites Dokument: 12345 Ünïcödé!", "ends with EOS<|endoftext|>",
        "code:\n\tx = [1, 2]  # ok"};
    write_file(dir / "texts.json", json(stripped).dump());
    write_file(dir / "added.json",
               added_tokens_json(ladder::tokenizer::load_bpe("dolma2").tokenizer).dump());
    const json theirs = reference_ids(dir, "tiktoken cl100k_base added.json");
    std::vector<uint32_t> expected;
    for (const auto& ids : theirs) {
        for (const auto& id : ids)
            expected.push_back(id.get<uint32_t>());
        if (expected.back() != 100257)
            expected.push_back(100257);
    }

    const auto r = run_ladder("tokenize --tokenizer dolma2 -o out.npy docs.jsonl", dir.path);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out.find("Tokenized 4 documents") != std::string::npos);
    REQUIRE(r.out.find("skipped 1 empty") != std::string::npos);
    REQUIRE(r.out.find("as uint32") != std::string::npos);
    const std::string bytes = read_file(dir / "out.npy");
    REQUIRE(bytes.size() == expected.size() * 4);
    std::vector<uint32_t> written(expected.size());
    for (size_t i = 0; i < written.size(); ++i) {
        for (int b = 0; b < 4; ++b)
            written[i] |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[4 * i + b]))
                          << (8 * b);
    }
    REQUIRE(written == expected);
}

TEST_CASE("bpe: prepare-tasks encodes task text with the dolma2 preset as olmo_eval does",
          "[bpe][downstream]") {
    const TempDir dir;
    // Two documents of two choices; contexts and continuations encoded apart, the
    // continuation with its leading space.
    const std::vector<std::pair<std::string, std::string>> requests = {
        {"Question: what is 12 + 30?\nAnswer:", " 42"},
        {"Question: what is 12 + 30?\nAnswer:", " forty-two"},
        {"Le café est très chaud,", " donc attendez."},
        {"Le café est très chaud,", " so wait<|endoftext|>"}};
    std::string lines;
    std::vector<std::string> texts = {" "};  // the domain prompt of pmi_dc
    for (size_t i = 0; i < requests.size(); ++i) {
        lines += json{{"request_type", "loglikelihood"},
                      {"request",
                       {{"context", requests[i].first}, {"continuation", requests[i].second}}},
                      {"doc_id", i / 2},
                      {"idx", i % 2},
                      {"label", 0}}
                     .dump() +
                 "\n";
        texts.push_back(requests[i].first);
        texts.push_back(requests[i].second);
    }
    fs::create_directories(dir / "task");
    write_file(dir / "task/requests.jsonl", lines);
    write_file(dir / "task/config.json", R"({"task_config": {"primary_metric": "acc_raw"}})");
    write_file(dir / "ladder.yaml",
               "name: bpe\ndir: runs\nsizes: [190M]\nsequence_length: 4096\n"
               "tokenizer: {name: dolma2}\ndata: {paths: [d.npy], downstream: {next: task}}\n");
    write_file(dir / "texts.json", json(texts).dump());
    write_file(dir / "added.json",
               added_tokens_json(ladder::tokenizer::load_bpe("dolma2").tokenizer).dump());
    const json theirs = reference_ids(dir, "tiktoken cl100k_base added.json");

    const auto r = run_ladder("prepare-tasks --config ladder.yaml", dir.path);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const json prepared = json::parse(read_file(dir / "runs/tasks/next.json"));
    REQUIRE(prepared["domain"] == theirs[0]);
    REQUIRE(prepared["requests"].size() == requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
        INFO("request " << i);
        REQUIRE(prepared["requests"][i]["context"] == theirs[1 + 2 * i]);
        REQUIRE(prepared["requests"][i]["continuation"] == theirs[2 + 2 * i]);
    }
}

TEST_CASE(
    "bpe: the tokenizer.json exported for dolma2 gives its ids, in ladder and in "
    "@huggingface/tokenizers",
    "[bpe][hf]") {
    const TempDir dir;
    const auto texts = reference_texts();
    const auto files = ladder::tokenizer::preset_hf_tokenizer("dolma2", 8192);
    REQUIRE(files.tokenizer["model"]["merges"].size() == 100000);  // one per non-byte token
    REQUIRE(files.tokenizer["added_tokens"].size() == 22);
    REQUIRE(files.config["eos_token"] == "<|endoftext|>");
    REQUIRE(files.config["pad_token"] == "<|pad|>");
    write_file(dir / "tokenizer.json", files.tokenizer.dump());
    write_file(dir / "texts.json", json(texts).dump());
    const json theirs = reference_ids(dir, "hf tokenizer.json");
    const auto preset = ladder::tokenizer::load_bpe("dolma2");
    require_same_ids(encode_all(preset.tokenizer, texts), theirs, texts);
    const auto loaded = ladder::tokenizer::load_bpe(dir / "tokenizer.json");
    require_same_ids(encode_all(loaded.tokenizer, texts), theirs, texts);
}
