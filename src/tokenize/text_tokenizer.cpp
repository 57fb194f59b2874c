// SentencePiece and byte-level BPE behind one interface (see text_tokenizer.hpp).
#include "tokenize/text_tokenizer.hpp"

#include <sentencepiece_processor.h>

#include "tokenizer/bpe_loader.hpp"
#include "util/error.hpp"
#include "util/input_file.hpp"

namespace ladder::tokenize {

namespace {

class BpeTextTokenizer : public TextTokenizer {
  public:
    explicit BpeTextTokenizer(tokenizer::LoadedBpe loaded) : loaded_(std::move(loaded)) {}

    class BpeEncoder : public Encoder {
      public:
        explicit BpeEncoder(const tokenizer::BpeTokenizer& tokenizer) : tokenizer_(tokenizer) {}
        void encode(const std::string& text, std::vector<int32_t>& ids,
                    const std::string& where) override {
            try {
                tokenizer_.encode(text, ids, session_);
            } catch (const tokenizer::InvalidText& e) {
                throw UsageError(where + ": " + e.what());
            }
        }

      private:
        const tokenizer::BpeTokenizer& tokenizer_;
        tokenizer::BpeTokenizer::Session session_;
    };

    std::unique_ptr<Encoder> encoder() const override {
        return std::make_unique<BpeEncoder>(loaded_.tokenizer);
    }
    int32_t vocab_size() const override { return loaded_.tokenizer.vocab_size(); }
    std::optional<int32_t> eos_id() const override { return loaded_.eos_id; }
    std::string description() const override { return loaded_.description; }

  private:
    tokenizer::LoadedBpe loaded_;
};

class SentencePieceTokenizer : public TextTokenizer {
  public:
    explicit SentencePieceTokenizer(const std::string& path) : path_(path) {
        check_input_file(path, "SentencePiece model");
        if (const auto status = model_.Load(path); !status.ok())
            throw UsageError("cannot load SentencePiece model '" + path +
                             "': " + status.ToString());
    }

    // SentencePiece's Encode is const and thread-safe: the encoders share the model.
    class PieceEncoder : public Encoder {
      public:
        explicit PieceEncoder(const sentencepiece::SentencePieceProcessor& model) : model_(model) {}
        void encode(const std::string& text, std::vector<int32_t>& ids,
                    const std::string& where) override {
            if (const auto status = model_.Encode(text, &pieces_); !status.ok())
                throw UsageError(where + ": cannot encode: " + status.ToString());
            ids.insert(ids.end(), pieces_.begin(), pieces_.end());
        }

      private:
        const sentencepiece::SentencePieceProcessor& model_;
        std::vector<int> pieces_;
    };

    std::unique_ptr<Encoder> encoder() const override {
        return std::make_unique<PieceEncoder>(model_);
    }
    int32_t vocab_size() const override { return model_.GetPieceSize(); }
    std::optional<int32_t> eos_id() const override {
        return model_.eos_id() >= 0 ? std::optional<int32_t>(model_.eos_id()) : std::nullopt;
    }
    std::string description() const override { return "SentencePiece model '" + path_ + "'"; }

  private:
    std::string path_;
    sentencepiece::SentencePieceProcessor model_;
};

}  // namespace

std::unique_ptr<TextTokenizer> TextTokenizer::load(const std::string& name_or_path) {
    if (tokenizer::is_bpe_tokenizer(name_or_path))
        return std::make_unique<BpeTextTokenizer>(tokenizer::load_bpe(name_or_path));
    return std::make_unique<SentencePieceTokenizer>(name_or_path);
}

}  // namespace ladder::tokenize
