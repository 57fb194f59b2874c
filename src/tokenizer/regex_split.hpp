// One regex split of a pre-tokenizer (tiktoken's pat_str, a tokenizer.json Split or
// ByteLevel), run by PCRE2 with its JIT. Patterns are written for Rust's regex engines
// (fancy-regex in tiktoken, Oniguruma in tokenizers), whose \s is Unicode's White_Space;
// PCRE2 10.42's \s also takes U+180E, so \s and \S are rewritten to the property.
#pragma once

#include <string>
#include <string_view>
#include <vector>

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;
struct pcre2_real_match_context_8;
struct pcre2_real_jit_stack_8;

namespace ladder::tokenizer {

// What tokenizers' Split does with the text each match covers
// (tokenizers, tokenizer/normalizer.rs, SplitDelimiterBehavior).
enum class SplitBehavior { kIsolated, kRemoved, kMergedWithPrevious, kMergedWithNext, kContiguous };

// One thread's PCRE2 state: match data and a JIT stack large enough for long whitespace runs.
class RegexScratch {
  public:
    RegexScratch();
    ~RegexScratch();
    RegexScratch(const RegexScratch&) = delete;
    RegexScratch& operator=(const RegexScratch&) = delete;

  private:
    friend class RegexSplit;
    pcre2_real_match_data_8* match_ = nullptr;
    pcre2_real_match_context_8* context_ = nullptr;
    pcre2_real_jit_stack_8* stack_ = nullptr;
};

class RegexSplit {
  public:
    // `literal`: the pattern is a plain string (tokenizer.json's {"String": …}). Throws
    // std::invalid_argument with PCRE2's message and the offset of a bad pattern.
    RegexSplit(const std::string& pattern, bool literal, SplitBehavior behavior, bool invert);
    ~RegexSplit();
    RegexSplit(RegexSplit&& other) noexcept;
    RegexSplit& operator=(RegexSplit&&) = delete;
    RegexSplit(const RegexSplit&) = delete;

    // Appends the pieces of `text` (valid UTF-8, checked by the caller) to `pieces`.
    void split(std::string_view text, std::vector<std::string_view>& pieces,
               RegexScratch& scratch) const;

  private:
    pcre2_real_code_8* code_ = nullptr;
    bool jit_ = false;
    SplitBehavior behavior_;
    bool invert_;
};

// `pattern` with \s and \S as Unicode's White_Space (outside \Q…\E).
std::string with_white_space_property(const std::string& pattern);

}  // namespace ladder::tokenizer
