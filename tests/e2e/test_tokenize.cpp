// End-to-end: `ladder tokenize` on text, JSONL and JSONL.gz inputs, with a tiny SentencePiece
// model trained here, checked id by id against the same model and decoded back to the text.
#include <sentencepiece_processor.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/run_ladder.hpp"
#include "e2e/spm_model.hpp"

using ladder::test::make_sentences;
using ladder::test::make_temp_dir;
using ladder::test::require_usage_error;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::train_model;
using ladder::test::write_file;

namespace {

namespace fs = std::filesystem;

// One model for the whole run: training it is the slow part.
struct Fixture {
    TempDir dir;
    std::string model_path = train_model(dir.path, "tiny", 2);
    sentencepiece::SentencePieceProcessor model;
    Fixture() { REQUIRE(model.Load(model_path).ok()); }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Reads a little-endian token file of 2- or 4-byte ids.
std::vector<int> read_ids(const std::string& path, int width) {
    const std::string bytes = read_bytes(path);
    REQUIRE(bytes.size() % static_cast<size_t>(width) == 0);
    std::vector<int> ids;
    for (size_t i = 0; i < bytes.size(); i += static_cast<size_t>(width)) {
        uint32_t id = 0;
        for (int b = 0; b < width; ++b)
            id |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + b])) << (8 * b);
        ids.push_back(static_cast<int>(id));
    }
    return ids;
}

// Each document's ids then EOS, as the token file must hold them.
std::vector<int> expected_ids(const std::vector<std::string>& documents, int eos) {
    std::vector<int> all;
    for (const auto& doc : documents) {
        std::vector<int> ids;
        REQUIRE(fixture().model.Encode(doc, &ids).ok());
        all.insert(all.end(), ids.begin(), ids.end());
        all.push_back(eos);
    }
    return all;
}

// Splits at EOS and decodes each document; the file must end with EOS.
std::vector<std::string> decode_documents(const std::vector<int>& ids, int eos) {
    REQUIRE(!ids.empty());
    REQUIRE(ids.back() == eos);
    std::vector<std::string> documents;
    std::vector<int> current;
    for (const int id : ids) {
        if (id != eos) {
            current.push_back(id);
            continue;
        }
        documents.push_back(fixture().model.DecodeIds(current));
        current.clear();
    }
    return documents;
}

// Documents of several sentences each, from the model's own training vocabulary.
std::vector<std::string> make_documents(size_t count, size_t first) {
    const auto sentences = make_sentences(first + count * 3);
    std::vector<std::string> documents;
    for (size_t d = 0; d < count; ++d) {
        const size_t s = first + d * 3;
        documents.push_back(sentences[s] + " " + sentences[s + 1] + " " + sentences[s + 2]);
    }
    return documents;
}

std::string jsonl(const std::vector<std::string>& documents, const std::string& field) {
    std::string text;
    for (size_t i = 0; i < documents.size(); ++i)
        text += nlohmann::json{{"id", i}, {field, documents[i]}}.dump() + "\n";
    return text;
}

void write_gzip(const std::string& path, const std::string& text) {
    gzFile file = gzopen(path.c_str(), "wb");
    REQUIRE(file != nullptr);
    REQUIRE(gzwrite(file, text.data(), static_cast<unsigned>(text.size())) ==
            static_cast<int>(text.size()));
    REQUIRE(gzclose(file) == Z_OK);
}

// Nothing but the inputs in `dir`: no token file, no temporary left behind.
void require_no_output(const std::string& dir) {
    for (const auto& entry : fs::directory_iterator(dir)) {
        INFO(entry.path());
        REQUIRE(entry.path().filename().string().find("out") == std::string::npos);
    }
}

}  // namespace

TEST_CASE("tokenize: text files are one document each, uint16, EOS-separated", "[tokenize]") {
    const TempDir temp;
    const std::string& dir = temp.path;
    const auto documents = make_documents(3, 0);
    write_file(dir + "/a.txt", documents[0] + "\n");
    write_file(dir + "/b.txt", documents[1]);
    write_file(dir + "/c.txt", documents[2]);

    const auto r = run_ladder(
        "tokenize --model '" + fixture().model_path + "' -o out.u16 a.txt b.txt c.txt", dir);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    const auto expected = expected_ids(documents, 2);
    // Raw and headerless: two bytes per id, nothing else.
    REQUIRE(fs::file_size(dir + "/out.u16") == expected.size() * 2);
    REQUIRE(read_ids(dir + "/out.u16", 2) == expected);
    REQUIRE(decode_documents(read_ids(dir + "/out.u16", 2), 2) == documents);
    CHECK(r.out == "Tokenized 3 documents into " + std::to_string(expected.size()) +
                       " tokens (EOS 2): wrote 'out.u16' as uint16\n");
    CHECK(r.err.empty());
}

TEST_CASE("tokenize: --doc-per-line makes each non-empty line a document", "[tokenize]") {
    const TempDir temp;
    const std::string& dir = temp.path;
    const auto documents = make_documents(4, 30);
    write_file(dir + "/lines.txt",
               documents[0] + "\n" + documents[1] + "\r\n\n" + documents[2] + "\n" + documents[3]);
    const auto r = run_ladder(
        "tokenize --doc-per-line --model '" + fixture().model_path + "' -o out.u16 lines.txt", dir);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(read_ids(dir + "/out.u16", 2) == expected_ids(documents, 2));
    REQUIRE(decode_documents(read_ids(dir + "/out.u16", 2), 2) == documents);
}

TEST_CASE("tokenize: JSONL and JSONL.gz give the same ids as the text", "[tokenize]") {
    const TempDir temp;
    const std::string& dir = temp.path;
    const auto documents = make_documents(20, 60);
    const std::vector<std::string> first(documents.begin(), documents.begin() + 10);
    const std::vector<std::string> second(documents.begin() + 10, documents.end());
    write_file(dir + "/a.jsonl", jsonl(first, "text") + "\n");  // a blank line is no document
    write_gzip(dir + "/b.jsonl.gz", jsonl(second, "text"));

    const auto r = run_ladder(
        "tokenize --model '" + fixture().model_path + "' -o out/all.u16 a.jsonl b.jsonl.gz", dir);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    const auto expected = expected_ids(documents, 2);
    REQUIRE(fs::file_size(dir + "/out/all.u16") == expected.size() * 2);
    REQUIRE(read_ids(dir + "/out/all.u16", 2) == expected);
    REQUIRE(decode_documents(read_ids(dir + "/out/all.u16", 2), 2) == documents);
    CHECK(r.out.find("Tokenized 20 documents into " + std::to_string(expected.size())) == 0);

    SECTION("gzip alone") {
        const auto gz =
            run_ladder("tokenize --model '" + fixture().model_path + "' -o gz.u16 b.jsonl.gz", dir);
        REQUIRE(gz.exit_code == 0);
        REQUIRE(decode_documents(read_ids(dir + "/gz.u16", 2), 2) == second);
    }
    SECTION("another text field, another EOS, uint32") {
        write_file(dir + "/body.jsonl", jsonl(first, "body"));
        const auto r32 = run_ladder("tokenize --model '" + fixture().model_path +
                                        "' --text-field body --eos 3 --dtype uint32 -o out.u32 "
                                        "body.jsonl",
                                    dir);
        INFO("stderr: " << r32.err);
        REQUIRE(r32.exit_code == 0);
        const auto expected32 = expected_ids(first, 3);
        REQUIRE(fs::file_size(dir + "/out.u32") == expected32.size() * 4);
        REQUIRE(read_ids(dir + "/out.u32", 4) == expected32);
        CHECK(r32.out.find("(EOS 3): wrote 'out.u32' as uint32") != std::string::npos);
    }
}

TEST_CASE("tokenize: user mistakes are one line naming the file, exit 2, no output", "[tokenize]") {
    const TempDir temp;
    const std::string& dir = temp.path;
    const std::string model = "--model '" + fixture().model_path + "'";
    write_file(dir + "/good.txt", make_documents(1, 0)[0]);

    SECTION("missing model") {
        require_usage_error(run_ladder("tokenize --model nope.model -o out.u16 good.txt", dir),
                            "nope.model");
    }
    SECTION("a file that is not a model") {
        require_usage_error(run_ladder("tokenize --model good.txt -o out.u16 good.txt", dir),
                            "cannot load SentencePiece model 'good.txt'");
    }
    SECTION("missing input") {
        require_usage_error(run_ladder("tokenize " + model + " -o out.u16 good.txt gone.txt", dir),
                            "input file 'gone.txt': no such file");
    }
    SECTION("bad JSON line") {
        const auto docs = make_documents(2, 0);
        write_file(dir + "/bad.jsonl", jsonl(docs, "text") + "{\"text\": \"cut short\n");
        require_usage_error(run_ladder("tokenize " + model + " -o out.u16 bad.jsonl", dir),
                            "bad.jsonl:3: not valid JSON");
    }
    SECTION("bad JSON line in a gzip file") {
        write_gzip(dir + "/bad.jsonl.gz", "{\"text\": \"a\"}\n[1, 2]\n");
        require_usage_error(run_ladder("tokenize " + model + " -o out.u16 bad.jsonl.gz", dir),
                            "bad.jsonl.gz:2: expected a JSON object");
    }
    SECTION("missing text field") {
        write_file(dir + "/nofield.jsonl", "{\"text\": \"the year\"}\n{\"body\": \"the war\"}\n");
        require_usage_error(run_ladder("tokenize " + model + " -o out.u16 nofield.jsonl", dir),
                            "nofield.jsonl:2: no \"text\" field");
    }
    SECTION("corrupt gzip") {
        std::string gz;
        {
            write_gzip(dir + "/whole.jsonl.gz", jsonl(make_documents(50, 0), "text"));
            gz = read_bytes(dir + "/whole.jsonl.gz");
            fs::remove(dir + "/whole.jsonl.gz");
        }
        write_file(dir + "/cut.jsonl.gz", gz.substr(0, gz.size() / 2));
        require_usage_error(run_ladder("tokenize " + model + " -o out.u16 cut.jsonl.gz", dir),
                            "cut.jsonl.gz");
    }
    SECTION("EOS outside the model") {
        require_usage_error(
            run_ladder("tokenize " + model + " --eos 5000 -o out.u16 good.txt", dir), "--eos 5000");
    }
    SECTION("a model without EOS needs --eos") {
        const TempDir model_dir;
        const std::string no_eos = train_model(model_dir.path, "no-eos", -1);
        require_usage_error(
            run_ladder("tokenize --model '" + no_eos + "' -o out.u16 good.txt", dir),
            "names no EOS; pass --eos");
        const auto r =
            run_ladder("tokenize --model '" + no_eos + "' --eos 2 -o out.u16 good.txt", dir);
        REQUIRE(r.exit_code == 0);
        fs::remove(dir + "/out.u16");
    }
    SECTION("text that is not UTF-8, for a byte-level BPE") {
        write_file(dir + "/latin1.txt", "caf\xe9 au lait");
        require_usage_error(
            run_ladder("tokenize --tokenizer dolma2 -o out.u32 good.txt latin1.txt", dir),
            "latin1.txt: not valid UTF-8 at byte 3");
    }
    SECTION("BOS outside the tokenizer") {
        require_usage_error(
            run_ladder("tokenize --tokenizer gpt2 --bos 50257 -o out.u16 good.txt", dir),
            "--bos 50257 is not an id of gpt2");
    }
    SECTION("a preset whose rank file was never made") {
        const TempDir empty;
        require_usage_error(run_ladder("tokenize --tokenizer dolma2 -o out.u32 good.txt", dir,
                                       "LADDER_TOKENIZERS='" + empty.path + "'"),
                            "run scripts/setup_tokenizers.sh");
    }
    SECTION("a tokenizer.json that is not one") {
        write_file(dir + "/tokenizer.json", "{\"model\": {\"type\": \"Unigram\"}}");
        require_usage_error(
            run_ladder("tokenize --tokenizer tokenizer.json -o out.u16 good.txt", dir),
            "tokenizer.json 'tokenizer.json': model.type: expected BPE, got 'Unigram'");
    }
    SECTION("uint16 cannot hold dolma2's ids") {
        require_usage_error(
            run_ladder("tokenize --tokenizer dolma2 --dtype uint16 -o out.u16 good.txt", dir),
            "it has 100,278 (more than 65,536); use uint32");
    }
    require_no_output(dir);
}
