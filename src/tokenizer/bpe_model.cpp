// The BPE merge loop (see bpe_model.hpp).
#include "tokenizer/bpe_model.hpp"

#include <algorithm>
#include <stdexcept>

#include "tokenizer/byte_level.hpp"

namespace ladder::tokenizer {

void BpeModel::set_vocab(const std::vector<std::pair<std::string, int32_t>>& vocab) {
    ids_.reserve(vocab.size());
    for (const auto& [bytes, id] : vocab) {
        if (bytes.empty())
            throw std::invalid_argument("an empty token (id " + std::to_string(id) + ")");
        if (id < 0)
            throw std::invalid_argument("a negative id (" + std::to_string(id) + ")");
        if (!ids_.emplace(bytes, id).second) {
            throw std::invalid_argument("two tokens with the bytes of id " + std::to_string(id) +
                                        " ('" + byte_level_encode(bytes) + "')");
        }
        id_end_ = std::max(id_end_, id + 1);
    }
    // Every byte must be a token: a byte-level BPE has no unknown token to fall back on.
    for (int byte = 0; byte < 256; ++byte) {
        const int32_t id = token_id(std::string(1, static_cast<char>(byte)));
        if (id < 0) {
            throw std::invalid_argument("byte " + std::to_string(byte) + " ('" +
                                        byte_level_char(static_cast<unsigned char>(byte)) +
                                        "') is not a token");
        }
        byte_ids_[byte] = id;
    }
}

BpeModel BpeModel::from_ranks(std::vector<std::pair<std::string, int32_t>> tokens,
                              RankMerges merges) {
    BpeModel model;
    model.set_vocab(tokens);
    if (merges == RankMerges::kTiktoken) {
        model.whole_piece_first_ = true;
        for (const auto& [bytes, id] : tokens) {
            for (size_t split = 1; split < bytes.size(); ++split) {
                const int32_t left = model.token_id(std::string_view(bytes).substr(0, split));
                const int32_t right = model.token_id(std::string_view(bytes).substr(split));
                if (left >= 0 && right >= 0)
                    model.merges_[pair_key(left, right)] = Merge{static_cast<uint32_t>(id), id};
            }
        }
        return model;
    }
    // In rank order, each token's bytes merged with the merges of the tokens before it end
    // in the two parts that make it; a token they do not reach has no merge.
    std::sort(tokens.begin(), tokens.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    MergeScratch scratch;
    std::vector<int32_t> parts;
    for (const auto& [bytes, id] : tokens) {
        if (bytes.size() < 2)
            continue;
        parts.clear();
        model.encode_piece(bytes, parts, scratch);
        if (parts.size() == 2)
            model.merges_[pair_key(parts[0], parts[1])] = Merge{static_cast<uint32_t>(id), id};
    }
    return model;
}

BpeModel BpeModel::from_merges(const std::vector<std::pair<std::string, int32_t>>& vocab,
                               const std::vector<std::pair<std::string, std::string>>& merges,
                               bool ignore_merges) {
    BpeModel model;
    model.set_vocab(vocab);
    model.whole_piece_first_ = ignore_merges;
    model.merges_.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const auto& [left, right] = merges[rank];
        const int32_t left_id = model.token_id(left);
        const int32_t right_id = model.token_id(right);
        const int32_t merged = model.token_id(left + right);
        if (left_id < 0 || right_id < 0 || merged < 0) {
            const std::string& missing = left_id < 0 ? left : right_id < 0 ? right : left + right;
            throw std::invalid_argument("merge " + std::to_string(rank) + " ('" +
                                        byte_level_encode(left) + " " + byte_level_encode(right) +
                                        "') uses '" + byte_level_encode(missing) +
                                        "', which is not in the vocabulary");
        }
        // A pair listed twice keeps its first (best) rank, as the tokenizers crate does.
        model.merges_.emplace(pair_key(left_id, right_id),
                              Merge{static_cast<uint32_t>(rank), merged});
    }
    return model;
}

std::vector<std::string> BpeModel::tokens_by_id() const {
    std::vector<std::string> tokens(static_cast<size_t>(id_end_));
    for (const auto& [bytes, id] : ids_)
        tokens[static_cast<size_t>(id)] = bytes;
    return tokens;
}

std::vector<std::pair<int32_t, int32_t>> BpeModel::merges_by_rank() const {
    std::vector<std::pair<uint32_t, uint64_t>> ranked;
    for (const auto& [key, merge] : merges_)
        ranked.emplace_back(merge.rank, key);
    std::sort(ranked.begin(), ranked.end());
    std::vector<std::pair<int32_t, int32_t>> out;
    for (const auto& [rank, key] : ranked)
        out.emplace_back(static_cast<int32_t>(key >> 32), static_cast<int32_t>(key & 0xffffffffu));
    return out;
}

int32_t BpeModel::token_id(std::string_view bytes) const {
    const auto found = ids_.find(std::string(bytes));
    return found == ids_.end() ? -1 : found->second;
}

const BpeModel::Merge* BpeModel::find_merge(int32_t left, int32_t right) const {
    const auto found = merges_.find(pair_key(left, right));
    return found == merges_.end() ? nullptr : &found->second;
}

void BpeModel::encode_piece(std::string_view piece, std::vector<int32_t>& ids,
                            MergeScratch& scratch) const {
    if (piece.size() == 1) {
        ids.push_back(byte_ids_[static_cast<unsigned char>(piece[0])]);
        return;
    }
    if (whole_piece_first_) {
        if (const int32_t id = token_id(piece); id >= 0) {
            ids.push_back(id);
            return;
        }
    }
    auto& symbols = scratch.symbols;
    auto& heap = scratch.heap;
    symbols.clear();
    heap.clear();
    const int32_t n = static_cast<int32_t>(piece.size());
    for (int32_t i = 0; i < n; ++i)
        symbols.push_back(
            {byte_ids_[static_cast<unsigned char>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1});

    // A min-heap on (rank, position): the best merge first, the leftmost of equal ranks.
    const auto later = [](const MergeScratch::Candidate& a, const MergeScratch::Candidate& b) {
        return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
    };
    const auto offer = [&](int32_t left) {
        const int32_t right = symbols[left].next;
        if (right < 0)
            return;
        if (const Merge* merge = find_merge(symbols[left].id, symbols[right].id)) {
            heap.push_back({merge->rank, left, symbols[left].id, symbols[right].id, merge->id});
            std::push_heap(heap.begin(), heap.end(), later);
        }
    };
    for (int32_t i = 0; i + 1 < n; ++i)
        offer(i);

    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), later);
        const MergeScratch::Candidate c = heap.back();
        heap.pop_back();
        // A candidate is stale once either symbol changed: ids only grow, so a symbol that
        // still has the id it had when offered is the same symbol.
        MergeScratch::Symbol& left = symbols[c.left];
        if (left.id != c.left_id || left.next < 0 || symbols[left.next].id != c.right_id)
            continue;
        MergeScratch::Symbol& right = symbols[left.next];
        left.id = c.merged_id;
        right.id = -1;
        left.next = right.next;
        if (right.next >= 0)
            symbols[right.next].prev = c.left;
        if (left.prev >= 0)
            offer(left.prev);
        offer(c.left);
    }
    for (int32_t i = 0; i >= 0; i = symbols[i].next)
        ids.push_back(symbols[i].id);
}

}  // namespace ladder::tokenizer
