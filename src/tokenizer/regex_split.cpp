// Regex pre-tokenization with PCRE2 (see regex_split.hpp).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex_split.hpp"

#include <pcre2.h>

#include <stdexcept>

namespace ladder::tokenizer {

namespace {

std::string pcre2_message(int code) {
    PCRE2_UCHAR buffer[256];
    if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0)
        return "PCRE2 error " + std::to_string(code);
    return reinterpret_cast<const char*>(buffer);
}

}  // namespace

std::string with_white_space_property(const std::string& pattern) {
    std::string out;
    out.reserve(pattern.size() + 32);
    bool quoted = false;  // inside \Q…\E, where backslashes are literal
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c != '\\' || i + 1 == pattern.size()) {
            out += c;
            continue;
        }
        const char next = pattern[++i];
        if (quoted) {
            quoted = next != 'E';
            out += c;
            out += next;
        } else if (next == 's') {
            out += "\\p{White_Space}";
        } else if (next == 'S') {
            out += "\\P{White_Space}";
        } else {
            quoted = next == 'Q';
            out += c;
            out += next;
        }
    }
    return out;
}

RegexScratch::RegexScratch() {
    match_ = pcre2_match_data_create(1, nullptr);
    context_ = pcre2_match_context_create(nullptr);
    stack_ = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, nullptr);
    if (!match_ || !context_ || !stack_)
        throw std::bad_alloc();
    pcre2_jit_stack_assign(context_, nullptr, stack_);
}

RegexScratch::~RegexScratch() {
    pcre2_jit_stack_free(stack_);
    pcre2_match_context_free(context_);
    pcre2_match_data_free(match_);
}

RegexSplit::RegexSplit(const std::string& pattern, bool literal, SplitBehavior behavior,
                       bool invert)
    : behavior_(behavior), invert_(invert) {
    const std::string translated = literal ? pattern : with_white_space_property(pattern);
    int error = 0;
    PCRE2_SIZE offset = 0;
    const uint32_t options = PCRE2_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP);
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                          options, &error, &offset, nullptr);
    if (!code_) {
        throw std::invalid_argument("bad regex '" + pattern + "': " + pcre2_message(error) +
                                    " at offset " + std::to_string(offset));
    }
    // Without a JIT (an unsupported CPU) PCRE2's interpreter gives the same matches, slower.
    jit_ = pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE) == 0;
}

RegexSplit::~RegexSplit() {
    pcre2_code_free(code_);
}

RegexSplit::RegexSplit(RegexSplit&& other) noexcept
    : code_(other.code_), jit_(other.jit_), behavior_(other.behavior_), invert_(other.invert_) {
    other.code_ = nullptr;
}

void RegexSplit::split(std::string_view text, std::vector<std::string_view>& pieces,
                       RegexScratch& scratch) const {
    // The text as (span, is_delimiter) in order: matches are delimiters unless inverted.
    struct Span {
        size_t begin, end;
        bool delimiter;
    };
    thread_local std::vector<Span> spans;
    spans.clear();
    const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t start = 0, last = 0;
    while (start < text.size()) {
        const int found =
            jit_ ? pcre2_jit_match(code_, subject, text.size(), start, PCRE2_NO_UTF_CHECK,
                                   scratch.match_, scratch.context_)
                 : pcre2_match(code_, subject, text.size(), start, PCRE2_NO_UTF_CHECK,
                               scratch.match_, scratch.context_);
        if (found == PCRE2_ERROR_NOMATCH)
            break;
        if (found < 0)
            throw std::runtime_error("pre-tokenizer regex failed: " + pcre2_message(found));
        const PCRE2_SIZE* range = pcre2_get_ovector_pointer(scratch.match_);
        if (range[1] == range[0]) {  // an empty match splits nothing: step over one character
            start = range[0] + 1;
            while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xc0) == 0x80)
                ++start;
            continue;
        }
        if (range[0] > last)
            spans.push_back({last, range[0], invert_});
        spans.push_back({range[0], range[1], !invert_});
        last = start = range[1];
    }
    if (last < text.size())
        spans.push_back({last, text.size(), invert_});

    // tokenizers, tokenizer/normalizer.rs, NormalizedString::split.
    size_t pending = std::string_view::npos;  // start of a piece still growing
    const auto emit = [&](size_t begin, size_t end) {
        if (end > begin)
            pieces.push_back(text.substr(begin, end - begin));
    };
    for (size_t i = 0; i < spans.size(); ++i) {
        const Span& s = spans[i];
        switch (behavior_) {
            case SplitBehavior::kIsolated:
                emit(s.begin, s.end);
                break;
            case SplitBehavior::kRemoved:
                if (!s.delimiter)
                    emit(s.begin, s.end);
                break;
            case SplitBehavior::kMergedWithPrevious:
                // A delimiter ends the piece before it.
                if (pending == std::string_view::npos)
                    pending = s.begin;
                if (s.delimiter || i + 1 == spans.size() || !spans[i + 1].delimiter) {
                    emit(pending, s.end);
                    pending = std::string_view::npos;
                }
                break;
            case SplitBehavior::kMergedWithNext:
                // A delimiter starts the piece after it; one before it stands alone.
                if (s.delimiter && pending != std::string_view::npos)
                    emit(pending, s.begin);
                if (s.delimiter || pending == std::string_view::npos)
                    pending = s.begin;
                if (!s.delimiter || i + 1 == spans.size()) {
                    emit(pending, s.end);
                    pending = std::string_view::npos;
                }
                break;
            case SplitBehavior::kContiguous:
                // Neighbouring delimiters make one piece.
                if (pending == std::string_view::npos)
                    pending = s.begin;
                if (i + 1 == spans.size() || spans[i + 1].delimiter != s.delimiter ||
                    !s.delimiter) {
                    emit(pending, s.end);
                    pending = std::string_view::npos;
                }
                break;
        }
    }
}

}  // namespace ladder::tokenizer
