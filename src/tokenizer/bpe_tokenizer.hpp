// A byte-level BPE tokenizer: added tokens cut out of the raw text, the rest split by the
// pre-tokenizer's regexes into pieces, each piece's bytes merged by the BPE model. No
// BOS or EOS is added here: `ladder tokenize` adds them per document, as dolma does
// (allenai/dolma, python/dolma/tokenizer/tokenizer.py, Tokenizer.add_special_tokens).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/added_tokens.hpp"
#include "tokenizer/bpe_model.hpp"
#include "tokenizer/regex_split.hpp"

namespace ladder::tokenizer {

// Thrown for text that is not UTF-8; the message names the byte offset.
class InvalidText : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

class BpeTokenizer {
  public:
    // `splits` run in order, each on the pieces of the one before. `add_prefix_space`: a
    // space goes before text that does not start with one (tokenizers' ByteLevel option).
    BpeTokenizer(BpeModel model, std::vector<RegexSplit> splits, AddedTokens added,
                 bool add_prefix_space);

    // What one thread keeps between texts: PCRE2's state, merge buffers and a cache of the
    // ids of pieces seen before (most words repeat).
    class Session {
      public:
        Session() = default;

      private:
        friend class BpeTokenizer;
        RegexScratch regex;
        MergeScratch merge;
        std::vector<Segment> segments;
        std::vector<std::string_view> pieces, next_pieces;
        std::unordered_map<std::string, std::vector<int32_t>> cache;
        std::string prefixed;
    };

    // Appends the ids of `text`. Throws InvalidText when it is not UTF-8.
    void encode(std::string_view text, std::vector<int32_t>& ids, Session& session) const;

    // The id of an added token's content, or of a token's bytes; nullopt if neither.
    std::optional<int32_t> token_id(std::string_view text) const;

    // One more than the largest id of the vocabulary and the added tokens.
    int32_t vocab_size() const { return vocab_size_; }

    const AddedTokens& added_tokens() const { return added_; }
    const BpeModel& model() const { return model_; }

  private:
    void encode_piece(std::string_view piece, std::vector<int32_t>& ids, Session& session) const;

    BpeModel model_;
    std::vector<RegexSplit> splits_;
    AddedTokens added_;
    bool add_prefix_space_;
    int32_t vocab_size_;
};

}  // namespace ladder::tokenizer
