// The tokenizer `ladder tokenize` and `ladder prepare-tasks` encode with: byte-level BPE (a
// preset such as dolma2, a tokenizer.json, a .tiktoken rank file) or a SentencePiece model.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ladder::tokenize {

class TextTokenizer {
  public:
    // One thread's encoder; `encode` appends the ids of `text` and throws UsageError with
    // `where` (a file, or file:line) for text it cannot encode.
    class Encoder {
      public:
        virtual ~Encoder() = default;
        virtual void encode(const std::string& text, std::vector<int32_t>& ids,
                            const std::string& where) = 0;
    };

    // A BPE preset or file (tokenizer::is_bpe_tokenizer), else a SentencePiece model. Throws
    // UsageError naming the file.
    static std::unique_ptr<TextTokenizer> load(const std::string& name_or_path);

    virtual ~TextTokenizer() = default;
    virtual std::unique_ptr<Encoder> encoder() const = 0;
    virtual int32_t vocab_size() const = 0;
    // The EOS the tokenizer names (a preset's, tokenizer_config.json's, SentencePiece's).
    virtual std::optional<int32_t> eos_id() const = 0;
    virtual std::string description() const = 0;
};

}  // namespace ladder::tokenize
