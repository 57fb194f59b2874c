// Matching added tokens in raw text (see added_tokens.hpp).
#include "tokenizer/added_tokens.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "tokenizer/utf8.hpp"

namespace ladder::tokenizer {

AddedTokens::AddedTokens(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
    std::set<std::string> seen;
    for (uint32_t i = 0; i < tokens_.size(); ++i) {
        const AddedToken& token = tokens_[i];
        if (token.content.empty())
            throw std::invalid_argument("added token " + std::to_string(token.id) + " is empty");
        if (!seen.insert(token.content).second)
            throw std::invalid_argument("added token '" + token.content + "' is given twice");
        Group& group = token.normalized ? normalized_ : raw_;
        group.by_first_byte[static_cast<unsigned char>(token.content[0])].push_back(i);
        group.any = true;
    }
    for (Group* group : {&raw_, &normalized_}) {
        for (auto& candidates : group->by_first_byte) {
            std::stable_sort(candidates.begin(), candidates.end(), [this](uint32_t a, uint32_t b) {
                return tokens_[a].content.size() > tokens_[b].content.size();
            });
        }
    }
}

void AddedTokens::split_group(const Group& group, std::string_view text,
                              std::vector<Segment>& segments) const {
    size_t emitted = 0;  // text before this offset is in `segments` already
    for (size_t at = 0; at < text.size();) {
        const AddedToken* match = nullptr;
        for (const uint32_t index : group.by_first_byte[static_cast<unsigned char>(text[at])]) {
            const AddedToken& token = tokens_[index];
            if (text.compare(at, token.content.size(), token.content) == 0) {
                match = &token;
                break;
            }
        }
        if (!match) {
            ++at;
            continue;
        }
        size_t begin = at, end = at + match->content.size();
        if (match->lstrip) {
            while (begin > emitted) {
                const size_t previous = utf8_previous(text, begin);
                if (!is_white_space(utf8_code_point(text, previous)))
                    break;
                begin = previous;
            }
        }
        if (match->rstrip) {
            while (end < text.size() && is_white_space(utf8_code_point(text, end)))
                end = utf8_next(text, end);
        }
        if (begin > emitted)
            segments.push_back({text.substr(emitted, begin - emitted), -1});
        segments.push_back({text.substr(begin, end - begin), match->id});
        emitted = at = end;
    }
    if (emitted < text.size())
        segments.push_back({text.substr(emitted), -1});
}

void AddedTokens::split(std::string_view text, std::vector<Segment>& segments) const {
    if (!raw_.any && !normalized_.any) {
        if (!text.empty())
            segments.push_back({text, -1});
        return;
    }
    if (!normalized_.any) {
        split_group(raw_, text, segments);
        return;
    }
    std::vector<Segment> first;
    split_group(raw_, text, first);
    for (const Segment& segment : first) {
        if (segment.id >= 0)
            segments.push_back(segment);
        else
            split_group(normalized_, segment.text, segments);
    }
}

}  // namespace ladder::tokenizer
