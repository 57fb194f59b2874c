// Byte-level BPE encoding (see bpe_tokenizer.hpp).
#include "tokenizer/bpe_tokenizer.hpp"

#include <algorithm>

#include "tokenizer/utf8.hpp"

namespace ladder::tokenizer {

namespace {

// Pieces longer than this are merged afresh each time; the cache is emptied when full.
constexpr size_t kCachedPieceBytes = 64;
constexpr size_t kCacheEntries = size_t{1} << 18;

}  // namespace

BpeTokenizer::BpeTokenizer(BpeModel model, std::vector<RegexSplit> splits, AddedTokens added,
                           bool add_prefix_space)
    : model_(std::move(model)),
      splits_(std::move(splits)),
      added_(std::move(added)),
      add_prefix_space_(add_prefix_space),
      vocab_size_(model_.id_end()) {
    for (const AddedToken& token : added_.tokens())
        vocab_size_ = std::max(vocab_size_, token.id + 1);
}

std::optional<int32_t> BpeTokenizer::token_id(std::string_view text) const {
    for (const AddedToken& token : added_.tokens()) {
        if (token.content == text)
            return token.id;
    }
    const int32_t id = model_.token_id(text);
    return id >= 0 ? std::optional<int32_t>(id) : std::nullopt;
}

void BpeTokenizer::encode_piece(std::string_view piece, std::vector<int32_t>& ids,
                                Session& session) const {
    if (piece.size() > kCachedPieceBytes) {
        model_.encode_piece(piece, ids, session.merge);
        return;
    }
    auto& cache = session.cache;
    std::string key(piece);
    if (const auto found = cache.find(key); found != cache.end()) {
        ids.insert(ids.end(), found->second.begin(), found->second.end());
        return;
    }
    const size_t first = ids.size();
    model_.encode_piece(piece, ids, session.merge);
    if (cache.size() >= kCacheEntries)
        cache.clear();
    cache.emplace(std::move(key), std::vector<int32_t>(ids.begin() + first, ids.end()));
}

void BpeTokenizer::encode(std::string_view text, std::vector<int32_t>& ids,
                          Session& session) const {
    if (const size_t bad = utf8_invalid_offset(text); bad != std::string_view::npos)
        throw InvalidText("not valid UTF-8 at byte " + std::to_string(bad));
    session.segments.clear();
    added_.split(text, session.segments);
    for (const Segment& segment : session.segments) {
        if (segment.id >= 0) {
            ids.push_back(segment.id);
            continue;
        }
        std::string_view part = segment.text;
        if (add_prefix_space_ && part.front() != ' ') {
            session.prefixed = " ";
            session.prefixed += part;
            part = session.prefixed;
        }
        auto& pieces = session.pieces;
        pieces.assign(1, part);
        for (const RegexSplit& split : splits_) {
            session.next_pieces.clear();
            for (const std::string_view piece : pieces)
                split.split(piece, session.next_pieces, session.regex);
            pieces.swap(session.next_pieces);
        }
        for (const std::string_view piece : pieces)
            encode_piece(piece, ids, session);
    }
}

}  // namespace ladder::tokenizer
