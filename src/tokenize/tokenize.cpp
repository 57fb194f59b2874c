// The encoder behind `ladder tokenize`: encodes documents (plain text, JSONL, JSONL.gz) into
// an OLMo-style token file: a raw, headerless little-endian array of uint16 or uint32 ids,
// each document's ids followed by the EOS id and nothing else. Documents are prepared as
// `dolma tokens` prepares them (allenai/dolma, python/dolma/tokenizer/tokenizer.py,
// tokenize_file and Tokenizer.add_special_tokens): surrounding whitespace stripped, empty
// documents skipped, BOS (when asked for) and EOS added unless the text already has them.
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
#include "tokenize/text_tokenizer.hpp"
#include "tokenize/tokenize.hpp"
#include "tokenizer/utf8.hpp"
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

    // Appends one document's ids. Bytes are laid out explicitly so the file is little-endian
    // whatever the host.
    void append_document(const std::vector<int32_t>& ids) {
        buffer_.clear();
        buffer_.reserve(ids.size() * static_cast<size_t>(width_));
        for (const int32_t id : ids)
            put(static_cast<uint32_t>(id));
        if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size())
            throw std::runtime_error("cannot write '" + path_ + "': " + std::strerror(errno));
        tokens_ += ids.size();
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

// Python's str.isspace, which `dolma tokens` strips documents by: Unicode's White_Space and
// the separators U+001C to U+001F.
bool python_space(uint32_t c) {
    return tokenizer::is_white_space(c) || (c >= 0x1c && c <= 0x1f);
}

// `text` without the whitespace around it (or unchanged when it is not UTF-8, which the
// tokenizer then reports).
std::string stripped(std::string text) {
    if (tokenizer::utf8_invalid_offset(text) != std::string::npos)
        return text;
    size_t end = text.size();
    while (end > 0) {
        const size_t previous = tokenizer::utf8_previous(text, end);
        if (!python_space(tokenizer::utf8_code_point(text, previous)))
            break;
        end = previous;
    }
    size_t begin = 0;
    while (begin < end && python_space(tokenizer::utf8_code_point(text, begin)))
        begin = tokenizer::utf8_next(text, begin);
    text.resize(end);
    text.erase(0, begin);
    return text;
}

// Encodes documents in batches, spread over the CPU cores (one encoder per worker), and
// writes each batch in input order.
class Encoder {
  public:
    Encoder(const TextTokenizer& tokenizer, int32_t eos, std::optional<int32_t> bos,
            TokenFileWriter& out)
        : tokenizer_(tokenizer), eos_(eos), bos_(bos), out_(out) {}

    // `where` names the document in errors ("file" or "file:line").
    void add(std::string text, std::string where) {
        text = stripped(std::move(text));
        // An empty document is not a document: a lone EOS would only add an empty one.
        if (text.empty()) {
            ++skipped_;
            return;
        }
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
        while (encoders_.size() < workers)
            encoders_.push_back(tokenizer_.encoder());
        std::vector<std::exception_ptr> errors(workers);
        auto work = [&](size_t worker) {
            try {
                for (size_t i = next++; i < n; i = next++) {
                    ids_[i].clear();
                    if (bos_)
                        ids_[i].push_back(*bos_);
                    encoders_[worker]->encode(texts_[i], ids_[i], wheres_[i]);
                    // The text may hold BOS or EOS already (dolma adds neither twice).
                    if (bos_ && ids_[i].size() > 1 && ids_[i][1] == *bos_)
                        ids_[i].erase(ids_[i].begin());
                    if (ids_[i].empty() || ids_[i].back() != eos_)
                        ids_[i].push_back(eos_);
                }
            } catch (...) {
                errors[worker] = std::current_exception();
                next = n;
            }
        };
        std::vector<std::thread> pool;
        for (size_t worker = 1; worker < workers; ++worker)
            pool.emplace_back(work, worker);
        work(0);
        for (auto& thread : pool)
            thread.join();
        for (const auto& error : errors) {
            if (error)
                std::rethrow_exception(error);
        }
        for (size_t i = 0; i < n; ++i) {
            out_.append_document(ids_[i]);
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

    const TextTokenizer& tokenizer_;
    int32_t eos_;
    std::optional<int32_t> bos_;
    TokenFileWriter& out_;
    std::vector<std::unique_ptr<TextTokenizer::Encoder>> encoders_;
    std::vector<std::string> texts_, wheres_;
    std::vector<std::vector<int32_t>> ids_;
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
            if (!line.empty())  // a blank line separates documents; it is not one
                encoder.add(line, path + ":" + std::to_string(number));
        }
        return;
    }
    encoder.add(in.rest(), path);
}

// The id width: --dtype, or from the vocabulary size when auto.
data::TokenDtype id_dtype(const std::string& dtype, int pieces) {
    const data::TokenDtype fitting = data::dtype_for_vocab(pieces);
    const data::TokenDtype chosen = data::configured_dtype(dtype).value_or(fitting);
    if (chosen == data::TokenDtype::kUint16 && fitting != chosen) {
        throw UsageError("--dtype uint16 cannot hold this tokenizer's ids: it has " +
                         with_commas(pieces) + " (more than " + with_commas(data::kUint16Vocab) +
                         "); use uint32");
    }
    return chosen;
}

void check_inputs(const TokenizeOptions& options) {
    for (const auto& path : options.inputs)
        check_input_file(path, "input file");
}

// An id given on the command line must be one of the tokenizer's.
int32_t checked_id(int64_t id, const char* flag, const TextTokenizer& tokenizer) {
    if (id < 0 || id >= tokenizer.vocab_size())
        throw UsageError(std::string(flag) + " " + std::to_string(id) + " is not an id of " +
                         tokenizer.description() + " (0 to " +
                         std::to_string(tokenizer.vocab_size() - 1) + ")");
    return static_cast<int32_t>(id);
}

int32_t choose_eos(const TokenizeOptions& options, const TextTokenizer& tokenizer) {
    if (options.eos_given)
        return checked_id(options.eos, "--eos", tokenizer);
    if (!tokenizer.eos_id())
        throw UsageError(tokenizer.description() + " names no EOS; pass --eos ID");
    return *tokenizer.eos_id();
}

}  // namespace

void tokenize(const TokenizeOptions& options) {
    check_inputs(options);
    const std::unique_ptr<TextTokenizer> tokenizer = TextTokenizer::load(options.tokenizer);
    const int32_t eos = choose_eos(options, *tokenizer);
    const std::optional<int32_t> bos =
        options.bos_given ? std::optional<int32_t>(checked_id(options.bos, "--bos", *tokenizer))
                          : std::nullopt;
    const data::TokenDtype dtype = id_dtype(options.dtype, tokenizer->vocab_size());

    const fs::path parent = fs::path(options.output).parent_path();
    std::error_code error;
    if (!parent.empty())
        fs::create_directories(parent, error);
    uint64_t documents = 0, skipped = 0, tokens = 0;
    // An error never leaves a half-written file under the requested name.
    write_atomically(options.output, [&](const std::string& temporary) {
        TokenFileWriter out(temporary, static_cast<int>(data::item_size(dtype)));
        Encoder encoder(*tokenizer, eos, bos, out);
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
