// The encoder behind `ladder tokenize`: encodes documents (plain text, JSONL, JSONL.gz) with a
// SentencePiece model into an OLMo-style token file: a raw, headerless little-endian array of
// uint16 or uint32 ids, each document's ids followed by the EOS id and nothing else.
#include <sentencepiece_processor.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "data/token_file.hpp"
#include "io/text_lines.hpp"
#include "tokenize/tokenize.hpp"
#include "util/atomic_file.hpp"
#include "util/cpu_cores.hpp"
#include "util/error.hpp"
#include "util/format.hpp"
#include "util/input_file.hpp"

namespace ladder::tokenize {

namespace {

namespace fs = std::filesystem;

// Dolma names its JSONL shards `*.json.gz`, so `.json` counts as JSONL too.
bool is_jsonl_name(std::string path) {
    if (ends_with(path, ".gz"))
        path.resize(path.size() - 3);
    return ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json");
}

// Writes a token file: each document's ids, then EOS, in `width`-byte little-endian ids.
class TokenFileWriter {
  public:
    TokenFileWriter(const std::string& path, int width)
        : path_(path), width_(width), file_(std::fopen(path.c_str(), "wb")) {
        if (!file_)
            throw UsageError("cannot write '" + path + "': " + std::strerror(errno));
    }
    ~TokenFileWriter() {
        if (file_)
            std::fclose(file_);
    }
    TokenFileWriter(const TokenFileWriter&) = delete;
    TokenFileWriter& operator=(const TokenFileWriter&) = delete;

    // Appends one document: its ids, then EOS. Bytes are laid out explicitly so the file
    // is little-endian whatever the host.
    void append_document(const std::vector<int>& ids, int eos) {
        buffer_.clear();
        buffer_.reserve((ids.size() + 1) * static_cast<size_t>(width_));
        for (const int id : ids)
            put(static_cast<uint32_t>(id));
        put(static_cast<uint32_t>(eos));
        if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size())
            throw std::runtime_error("cannot write '" + path_ + "': " + std::strerror(errno));
        tokens_ += ids.size() + 1;
    }

    uint64_t tokens() const { return tokens_; }

    void close() {
        const int closed = std::fclose(file_);
        file_ = nullptr;
        if (closed != 0)
            throw std::runtime_error("cannot write '" + path_ + "': " + std::strerror(errno));
    }

  private:
    void put(uint32_t id) {
        for (int byte = 0; byte < width_; ++byte)
            buffer_.push_back(static_cast<char>((id >> (8 * byte)) & 0xff));
    }

    std::string path_;
    int width_;
    std::FILE* file_;
    std::vector<char> buffer_;
    uint64_t tokens_ = 0;
};

// Encodes documents in batches, spread over the CPU cores (SentencePiece's Encode is
// const and thread-safe), and writes each batch in input order.
class Encoder {
  public:
    Encoder(const sentencepiece::SentencePieceProcessor& model, int eos, TokenFileWriter& out)
        : model_(model), eos_(eos), out_(out) {}

    // `where` names the document in errors ("file" or "file:line").
    void add(std::string text, std::string where) {
        batch_bytes_ += text.size();
        texts_.push_back(std::move(text));
        wheres_.push_back(std::move(where));
        if (texts_.size() >= kBatchDocuments || batch_bytes_ >= kBatchBytes)
            flush();
    }

    // Encodes and writes what is pending; call once more after the last document.
    void flush() {
        const size_t n = texts_.size();
        ids_.resize(n);
        std::atomic<size_t> next{0};
        const size_t workers =
            std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(available_cores()), n));
        std::vector<std::string> errors(workers);
        auto work = [&](size_t worker) {
            for (size_t i = next++; i < n; i = next++) {
                const auto status = model_.Encode(texts_[i], &ids_[i]);
                if (!status.ok()) {
                    errors[worker] = wheres_[i] + ": cannot encode: " + status.ToString();
                    return;
                }
            }
        };
        std::vector<std::thread> pool;
        for (size_t worker = 1; worker < workers; ++worker)
            pool.emplace_back(work, worker);
        work(0);
        for (auto& thread : pool)
            thread.join();
        for (const auto& error : errors) {
            if (!error.empty())
                throw std::runtime_error(error);
        }
        for (size_t i = 0; i < n; ++i) {
            // Text that encodes to nothing (blank or whitespace only) is not a document: a
            // lone EOS would only add an empty document to the training data.
            if (ids_[i].empty()) {
                ++skipped_;
                continue;
            }
            out_.append_document(ids_[i], eos_);
            ++documents_;
        }
        texts_.clear();
        wheres_.clear();
        batch_bytes_ = 0;
    }

    uint64_t documents() const { return documents_; }
    uint64_t skipped() const { return skipped_; }

  private:
    static constexpr size_t kBatchDocuments = 4096;
    static constexpr size_t kBatchBytes = size_t{64} << 20;

    const sentencepiece::SentencePieceProcessor& model_;
    int eos_;
    TokenFileWriter& out_;
    std::vector<std::string> texts_, wheres_;
    std::vector<std::vector<int>> ids_;
    size_t batch_bytes_ = 0;
    uint64_t documents_ = 0, skipped_ = 0;
};

void tokenize_jsonl(const std::string& path, const std::string& field, Encoder& encoder) {
    io::TextLines in(path);
    std::string line;
    for (uint64_t number = 1; in.next_line(line); ++number) {
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
        const std::string where = path + ":" + std::to_string(number);
        const nlohmann::json doc = io::parse_json_line(line, where);
        if (!doc.is_object())
            throw UsageError(where + ": expected a JSON object, got " + doc.type_name());
        const auto text = doc.find(field);
        if (text == doc.end())
            throw UsageError(where + ": no \"" + field + "\" field (see --text-field)");
        if (!text->is_string())
            throw UsageError(where + ": field \"" + field + "\" is " + text->type_name() +
                             ", not a string");
        encoder.add(text->get_ref<const std::string&>(), where);
    }
}

void tokenize_text(const std::string& path, bool doc_per_line, Encoder& encoder) {
    io::TextLines in(path);
    if (doc_per_line) {
        std::string line;
        for (uint64_t number = 1; in.next_line(line); ++number) {
            if (!line.empty())
                encoder.add(line, path + ":" + std::to_string(number));
        }
        return;
    }
    std::string text = in.rest();
    // The final newline ends the file's last line; it is not part of the document.
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    encoder.add(text, path);
}

// The id width: --dtype, or from the vocabulary size when auto.
data::TokenDtype id_dtype(const std::string& dtype, int pieces) {
    const data::TokenDtype fitting = data::dtype_for_vocab(pieces);
    const data::TokenDtype chosen = data::configured_dtype(dtype).value_or(fitting);
    if (chosen == data::TokenDtype::kUint16 && fitting != chosen) {
        throw UsageError("--dtype uint16 cannot hold this model's ids: it has " +
                         with_commas(pieces) + " pieces (more than " +
                         with_commas(data::kUint16Vocab) + "); use uint32");
    }
    return chosen;
}

void check_inputs(const TokenizeOptions& options) {
    for (const auto& path : options.inputs)
        check_input_file(path, "input file");
}

void load_model(const std::string& path, sentencepiece::SentencePieceProcessor& model) {
    check_input_file(path, "SentencePiece model");
    const auto status = model.Load(path);
    if (!status.ok())
        throw UsageError("cannot load SentencePiece model '" + path + "': " + status.ToString());
}

int choose_eos(const TokenizeOptions& options, const sentencepiece::SentencePieceProcessor& model) {
    const int pieces = model.GetPieceSize();
    if (!options.eos_given) {
        if (model.eos_id() < 0)
            throw UsageError("SentencePiece model '" + options.model +
                             "' defines no EOS piece; pass --eos ID");
        return model.eos_id();
    }
    if (options.eos < 0 || options.eos >= pieces)
        throw UsageError("--eos " + std::to_string(options.eos) + " is not an id of model '" +
                         options.model + "' (0 to " + std::to_string(pieces - 1) + ")");
    return static_cast<int>(options.eos);
}

}  // namespace

void tokenize(const TokenizeOptions& options) {
    check_inputs(options);
    sentencepiece::SentencePieceProcessor model;
    load_model(options.model, model);
    const int eos = choose_eos(options, model);
    const data::TokenDtype dtype = id_dtype(options.dtype, model.GetPieceSize());

    const fs::path parent = fs::path(options.output).parent_path();
    std::error_code error;
    if (!parent.empty())
        fs::create_directories(parent, error);
    uint64_t documents = 0, skipped = 0, tokens = 0;
    // An error never leaves a half-written file under the requested name.
    write_atomically(options.output, [&](const std::string& temporary) {
        TokenFileWriter out(temporary, static_cast<int>(data::item_size(dtype)));
        Encoder encoder(model, eos, out);
        for (const auto& path : options.inputs) {
            const bool jsonl =
                options.format == "jsonl" || (options.format == "auto" && is_jsonl_name(path));
            if (jsonl)
                tokenize_jsonl(path, options.text_field, encoder);
            else
                tokenize_text(path, options.doc_per_line, encoder);
        }
        encoder.flush();
        out.close();
        documents = encoder.documents();
        skipped = encoder.skipped();
        tokens = out.tokens();
    });

    std::cout << "Tokenized " << with_commas(static_cast<int64_t>(documents))
              << (documents == 1 ? " document" : " documents") << " into "
              << with_commas(static_cast<int64_t>(tokens)) << " tokens (EOS " << eos << ")";
    if (skipped > 0)
        std::cout << ", skipped " << with_commas(static_cast<int64_t>(skipped)) << " empty";
    std::cout << ": wrote '" << options.output << "' as " << data::dtype_name(dtype) << "\n";
}

}  // namespace ladder::tokenize

// The module's entry point; `ladder tokenize` loads this library only when it runs, so
// SentencePiece's protobuf never meets LibTorch's in one process.
extern "C" __attribute__((visibility("default"))) void ladder_tokenize_run(
    const ladder::tokenize::TokenizeOptions* options) {
    ladder::tokenize::tokenize(*options);
}
