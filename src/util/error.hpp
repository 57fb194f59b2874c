// Error kinds and what the process does with them.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ladder {

// A mistake in what the user asked for (bad flag, bad config value, missing file):
// reported as one line on stderr with exit code 2, never as a stack trace.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

constexpr int kExitRuntimeFailure = 1;
constexpr int kExitUsage = 2;

// Closest candidate to `word` by edit distance, or "" when nothing is close enough
// to be a plausible typo.
std::string closest_match(const std::string& word,
                          const std::initializer_list<std::string>& candidates);
template <class Range>
std::string closest_match(const std::string& word, const Range& candidates);

// Levenshtein distance between two strings.
size_t edit_distance(const std::string& a, const std::string& b);

template <class Range>
std::string closest_match(const std::string& word, const Range& candidates) {
    std::string best;
    size_t best_distance = std::string::npos;
    for (const auto& candidate : candidates) {
        const size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    const size_t limit = std::max<size_t>(2, word.size() / 3);
    return best_distance <= limit ? best : std::string();
}

}  // namespace ladder
