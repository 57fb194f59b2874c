// Added tokens (a tokenizer.json's added_tokens, tiktoken's special tokens): strings matched
// in the raw text before pre-tokenization, each becoming its one id, as the tokenizers crate
// does by default (tokenizers, tokenizer/added_vocabulary.rs, AddedVocabulary::
// extract_and_normalize): the leftmost match wins, the longest of those starting there;
// tokens marked `normalized: false` are matched first, the others in what remains.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ladder::tokenizer {

struct AddedToken {
    std::string content;
    int32_t id = -1;
    bool special = false;
    bool lstrip = false;  // the match takes the whitespace before it
    bool rstrip = false;  // … and after it
    bool normalized = false;
};

// Text between added tokens (id < 0) or one added token.
struct Segment {
    std::string_view text;
    int32_t id;
};

class AddedTokens {
  public:
    AddedTokens() = default;
    // Throws std::invalid_argument for an empty content or one given twice.
    explicit AddedTokens(std::vector<AddedToken> tokens);

    // `text` cut at every added token, in order; empty text between tokens is left out.
    void split(std::string_view text, std::vector<Segment>& segments) const;

    const std::vector<AddedToken>& tokens() const { return tokens_; }
    bool empty() const { return tokens_.empty(); }

  private:
    // One matching pass over the tokens of one `normalized` flag.
    struct Group {
        std::vector<uint32_t> by_first_byte[256];  // indices into tokens_, longest first
        bool any = false;
    };
    void split_group(const Group& group, std::string_view text,
                     std::vector<Segment>& segments) const;

    std::vector<AddedToken> tokens_;
    Group raw_, normalized_;
};

}  // namespace ladder::tokenizer
