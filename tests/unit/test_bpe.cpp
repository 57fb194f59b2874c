// Byte-level BPE pieces on hand-made vocabularies whose ids can be worked out by hand: the
// byte-level alphabet, merge order (rank, then leftmost), the two ways rank files merge,
// added tokens, the split behaviours, UTF-8 checks and the loaders' errors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "e2e/run_ladder.hpp"
#include "tokenizer/added_tokens.hpp"
#include "tokenizer/bpe_loader.hpp"
#include "tokenizer/bpe_model.hpp"
#include "tokenizer/bpe_tokenizer.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/regex_split.hpp"
#include "tokenizer/utf8.hpp"

using ladder::test::TempDir;
using ladder::test::usage_error_of;
using ladder::test::write_file;
using namespace ladder::tokenizer;
using nlohmann::json;

namespace {

// Bytes 0-255 as ids 0-255, then `extra` tokens from id 256 on.
std::vector<std::pair<std::string, int32_t>> byte_vocab(const std::vector<std::string>& extra) {
    std::vector<std::pair<std::string, int32_t>> vocab;
    for (int b = 0; b < 256; ++b)
        vocab.emplace_back(std::string(1, static_cast<char>(b)), b);
    for (size_t i = 0; i < extra.size(); ++i)
        vocab.emplace_back(extra[i], static_cast<int32_t>(256 + i));
    return vocab;
}

std::vector<int32_t> merge(const BpeModel& model, const std::string& piece) {
    MergeScratch scratch;
    std::vector<int32_t> ids;
    model.encode_piece(piece, ids, scratch);
    return ids;
}

std::vector<std::string> split(const RegexSplit& regex, const std::string& text) {
    RegexScratch scratch;
    std::vector<std::string_view> pieces;
    regex.split(text, pieces, scratch);
    return std::vector<std::string>(pieces.begin(), pieces.end());
}

// A tokenizer.json with the 256 byte tokens, `extra` tokens and `merges`, then `patch` on top.
json tokenizer_json(const std::vector<std::string>& extra, const json& merges,
                    const json& patch = json::object()) {
    json vocab = json::object();
    for (const auto& [bytes, id] : byte_vocab(extra))
        vocab[byte_level_encode(bytes)] = id;
    json root = {{"added_tokens", json::array()},
                 {"normalizer", nullptr},
                 {"pre_tokenizer",
                  {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
                 {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
    root.merge_patch(patch);
    return root;
}

}  // namespace

TEST_CASE("bpe: the byte-level alphabet is GPT-2's and round-trips every byte", "[bpe]") {
    std::set<std::string> chars;
    std::string all;
    for (int b = 0; b < 256; ++b) {
        chars.insert(byte_level_char(static_cast<unsigned char>(b)));
        all += static_cast<char>(b);
    }
    REQUIRE(chars.size() == 256);
    REQUIRE(byte_level_char(' ') == "\u0120");   // Ġ
    REQUIRE(byte_level_char('\n') == "\u010a");  // Ċ
    REQUIRE(byte_level_char(0) == "\u0100");
    REQUIRE(byte_level_char('a') == "a");
    REQUIRE(byte_level_char(0xad) == "\u0143");  // the soft hyphen is not printable
    REQUIRE(byte_level_decode(byte_level_encode(all)) == all);
    REQUIRE_FALSE(byte_level_decode("\u20ac"));  // € is not in the alphabet
}

TEST_CASE("bpe: merges go best rank first, the leftmost of equal ranks", "[bpe]") {
    // ids: ab 256, bc 257, abc 258, aa 259, aaaa 260
    const auto vocab = byte_vocab({"ab", "bc", "abc", "aa", "aaaa"});
    const auto model = BpeModel::from_merges(
        vocab, {{"b", "c"}, {"a", "b"}, {"a", "bc"}, {"a", "a"}, {"aa", "aa"}}, false);
    REQUIRE(merge(model, "abc") == std::vector<int32_t>{258});  // b+c first, then a+bc
    REQUIRE(merge(model, "abab") == std::vector<int32_t>{256, 256});
    REQUIRE(merge(model, "aaa") == std::vector<int32_t>{259, 'a'});  // leftmost pair first
    REQUIRE(merge(model, "aaaaa") == std::vector<int32_t>{260, 'a'});
    REQUIRE(merge(model, "z") == std::vector<int32_t>{'z'});
    // Ranks the other way round: a+b first, and ab+c is no merge, so abc is never made.
    const auto other = BpeModel::from_merges(vocab, {{"a", "b"}, {"b", "c"}}, false);
    REQUIRE(merge(other, "abc") == std::vector<int32_t>{256, 'c'});
    // ignore_merges: a piece that is a token is that token, merges or not.
    const auto whole = BpeModel::from_merges(vocab, {{"a", "b"}, {"b", "c"}}, true);
    REQUIRE(merge(whole, "abc") == std::vector<int32_t>{258});
}

TEST_CASE("bpe: rank files merge as tiktoken or as their Hugging Face conversion", "[bpe]") {
    // "xyz" (258) is no merge of two tokens: tiktoken finds it by looking the piece up, the
    // converted tokenizer.json has no merge for it.
    const auto vocab = byte_vocab({"ab", "abc", "xyz"});
    const auto tiktoken = BpeModel::from_ranks(vocab, BpeModel::RankMerges::kTiktoken);
    const auto converted = BpeModel::from_ranks(vocab, BpeModel::RankMerges::kHuggingFace);
    REQUIRE(merge(tiktoken, "xyz") == std::vector<int32_t>{258});
    REQUIRE(merge(converted, "xyz") == std::vector<int32_t>{'x', 'y', 'z'});
    REQUIRE(merge(tiktoken, "abcab") == std::vector<int32_t>{257, 256});
    REQUIRE(merge(converted, "abcab") == std::vector<int32_t>{257, 256});
}

TEST_CASE("bpe: a vocabulary must hold every byte and merges must name its tokens", "[bpe]") {
    auto vocab = byte_vocab({"ab"});
    vocab.erase(vocab.begin());
    REQUIRE_THROWS_WITH(BpeModel::from_merges(vocab, {}, false),
                        Catch::Contains("byte 0 ('\u0100') is not a token"));
    REQUIRE_THROWS_WITH(BpeModel::from_merges(byte_vocab({"ab"}), {{"a", "b"}, {"b", "c"}}, false),
                        Catch::Contains("merge 1 ('b c') uses 'bc'"));
}

TEST_CASE("bpe: added tokens match leftmost, then longest, and strip as asked", "[bpe]") {
    AddedTokens added(
        {{"<a>", 1000, true}, {"<a><b>", 1001, true}, {"[m]", 1002, true, true, true}});
    std::vector<Segment> segments;
    added.split("x<a><b>y<a>", segments);
    REQUIRE(segments.size() == 4);
    REQUIRE(segments[0].text == "x");
    REQUIRE(segments[1].id == 1001);
    REQUIRE(segments[2].text == "y");
    REQUIRE(segments[3].id == 1000);
    segments.clear();
    added.split("one \u3000 [m]  two", segments);  // lstrip and rstrip take Unicode spaces
    REQUIRE(segments.size() == 3);
    REQUIRE(segments[0].text == "one");
    REQUIRE(segments[1].text == " \u3000 [m]  ");
    REQUIRE(segments[2].text == "two");
    REQUIRE_THROWS_WITH(AddedTokens({{"<a>", 1, true}, {"<a>", 2, true}}),
                        Catch::Contains("'<a>' is given twice"));
}

TEST_CASE("bpe: split behaviours cut as the tokenizers crate documents them", "[bpe]") {
    const std::string text = "the-final--countdown";
    using V = std::vector<std::string>;
    REQUIRE(split(RegexSplit("-", true, SplitBehavior::kRemoved, false), text) ==
            V{"the", "final", "countdown"});
    REQUIRE(split(RegexSplit("-", true, SplitBehavior::kIsolated, false), text) ==
            V{"the", "-", "final", "-", "-", "countdown"});
    REQUIRE(split(RegexSplit("-", true, SplitBehavior::kMergedWithPrevious, false), text) ==
            V{"the-", "final-", "-", "countdown"});
    REQUIRE(split(RegexSplit("-", true, SplitBehavior::kMergedWithNext, false), text) ==
            V{"the", "-final", "-", "-countdown"});
    REQUIRE(split(RegexSplit("-", true, SplitBehavior::kContiguous, false), text) ==
            V{"the", "-", "final", "--", "countdown"});
    // Inverted and removed: the matches are what is kept (dolma2's Split).
    REQUIRE(split(RegexSplit(R"(\p{L}+)", false, SplitBehavior::kRemoved, true), "ab, cd!") ==
            V{"ab", "cd"});
    // \s is Unicode's White_Space: U+180E is not a space, U+0085 and U+3000 are.
    REQUIRE(split(RegexSplit(R"(\s+)", false, SplitBehavior::kRemoved, false),
                  "a\u180eb\u0085c\u3000d") == V{"a\u180eb", "c", "d"});
    REQUIRE(with_white_space_property(R"([^\s\S]\\s\Q\s\E)") ==
            R"([^\p{White_Space}\P{White_Space}]\\s\Q\s\E)");
    REQUIRE_THROWS_WITH(RegexSplit("(unclosed", false, SplitBehavior::kIsolated, false),
                        Catch::Contains("bad regex '(unclosed'"));
}

TEST_CASE("bpe: text must be UTF-8; the offset of the first bad byte is named", "[bpe]") {
    REQUIRE(utf8_invalid_offset("plain ascii") == std::string::npos);
    REQUIRE(utf8_invalid_offset("ok \u00e9\u4e2d\U0001F600") == std::string::npos);
    REQUIRE(utf8_invalid_offset("ab\xc0\xaf") == 2);        // overlong
    REQUIRE(utf8_invalid_offset("a\xed\xa0\x80") == 1);     // a surrogate
    REQUIRE(utf8_invalid_offset("abc\xe4\xb8") == 3);       // cut short
    REQUIRE(utf8_invalid_offset("\xf4\x90\x80\x80") == 0);  // above U+10FFFF
    const BpeTokenizer tokenizer(BpeModel::from_merges(byte_vocab({}), {}, false), {}, {}, false);
    BpeTokenizer::Session session;
    std::vector<int32_t> ids;
    REQUIRE_THROWS_WITH(tokenizer.encode("caf\xe9", ids, session), "not valid UTF-8 at byte 3");
    tokenizer.encode("caf\u00e9", ids, session);
    REQUIRE(ids == std::vector<int32_t>{'c', 'a', 'f', 0xc3, 0xa9});
}

TEST_CASE("bpe: a tokenizer.json is read whole: pre-tokenizer, merges, added tokens, EOS",
          "[bpe]") {
    const TempDir dir;
    // " h" 256, " he" 257, "llo" 258, "ll" 259
    json root =
        tokenizer_json({" h", " he", "llo", "ll"},
                       json::array({"\u0120 h", "\u0120h e", json::array({"l", "l"}), "ll o"}),
                       {{"pre_tokenizer", {{"add_prefix_space", true}}},
                        {"added_tokens",
                         json::array({{{"id", 300}, {"content", "<|end|>"}, {"special", true}}})}});
    write_file(dir / "tokenizer.json", root.dump());
    write_file(dir / "tokenizer_config.json", json{{"eos_token", {{"content", "<|end|>"}}}}.dump());
    const LoadedBpe loaded = load_bpe(dir / "tokenizer.json");
    REQUIRE(loaded.eos_id == 300);
    REQUIRE(loaded.tokenizer.vocab_size() == 301);
    BpeTokenizer::Session session;
    std::vector<int32_t> ids;
    // The prefix space makes " hello"; the added token cuts the text in two.
    loaded.tokenizer.encode("hello<|end|>hello", ids, session);
    REQUIRE(ids == std::vector<int32_t>{257, 258, 300, 257, 258});
}

TEST_CASE("bpe: what ladder cannot read in a tokenizer.json is named with its field", "[bpe]") {
    const TempDir dir;
    const auto error_of = [&](const json& root) {
        write_file(dir / "bad.json", root.dump());
        return usage_error_of([&] { load_bpe(dir / "bad.json"); });
    };
    const json merges = json::array();
    REQUIRE_THAT(error_of(tokenizer_json({}, merges, {{"normalizer", {{"type", "NFC"}}}})),
                 Catch::Contains("': normalizer: expected null"));
    REQUIRE_THAT(error_of(tokenizer_json({}, merges, {{"pre_tokenizer", {{"type", "Metaspace"}}}})),
                 Catch::Contains("pre_tokenizer.type: pre-tokenizer 'Metaspace' is not read"));
    REQUIRE_THAT(
        error_of(tokenizer_json(
            {}, merges,
            {{"pre_tokenizer",
              {{"type", "Split"}, {"pattern", {{"Regex", "\\s"}}}, {"behavior", "Isolated"}}}})),
        Catch::Contains("expected a ByteLevel pre-tokenizer"));
    REQUIRE_THAT(error_of(tokenizer_json({}, json::array({"a b c"}))),
                 Catch::Contains("model.merges[0]: expected \"a b\""));
    REQUIRE_THAT(error_of(tokenizer_json({}, json::array({"a b"}))),
                 Catch::Contains("merge 0 ('a b') uses 'ab', which is not in the vocabulary"));
    REQUIRE_THAT(error_of(tokenizer_json({}, merges, {{"model", {{"byte_fallback", true}}}})),
                 Catch::Contains("model.byte_fallback"));
    REQUIRE_THAT(error_of(tokenizer_json(
                     {}, merges,
                     {{"added_tokens",
                       json::array({{{"id", 9}, {"content", "<x>"}, {"single_word", true}}})}})),
                 Catch::Contains("added_tokens[0].single_word: true is not read"));
    REQUIRE_THAT(error_of(json::array()), Catch::Contains("expected a JSON object"));
    write_file(dir / "cut.json", "{\"model\": ");
    REQUIRE_THAT(usage_error_of([&] { load_bpe(dir / "cut.json"); }),
                 Catch::Contains("tokenizer.json '" + (dir / "cut.json") + "': not JSON"));
}

TEST_CASE("bpe: tiktoken rank files are checked line by line", "[bpe]") {
    const TempDir dir;
    write_file(dir / "cl100k_base.tiktoken", "IQ== 0\nIg== 1\nnot-base64 2\n");
    REQUIRE_THAT(usage_error_of([&] { load_bpe(dir / "cl100k_base.tiktoken"); }),
                 Catch::Contains("cl100k_base.tiktoken:3: expected '<base64 token> <rank>'"));
    write_file(dir / "r50k_base.tiktoken", "IQ== 0\n");
    REQUIRE_THAT(usage_error_of([&] { load_bpe(dir / "r50k_base.tiktoken"); }),
                 Catch::Contains("byte 0 ('\u0100') is not a token"));
    write_file(dir / "mine.tiktoken", "IQ== 0\n");
    REQUIRE_THAT(usage_error_of([&] { load_bpe(dir / "mine.tiktoken"); }),
                 Catch::Contains("its pre-tokenizer is known only for cl100k_base.tiktoken"));
}
