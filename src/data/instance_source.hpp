// Fixed-length training instances cut from token files, OLMo-core's rule in
// ConcatAndChunkInstanceSource (olmo_core/data/composable/concat_and_chunk_instance_source.py)
// and NumpyFSLDataset (olmo_core/data/numpy_dataset.py): each file's tokens in consecutive
// instances, its remainder dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/token_file.hpp"

namespace ladder::data {

// Each file yields floor(tokens / sequence_length) instances; instance i of a file is its
// tokens [i·seq, (i+1)·seq), document boundaries ignored and the remainder dropped. Files
// are concatenated in order into one global instance index.
class InstanceSource {
  public:
    // Above this many tokens in all, validate() leaves the check to check_instance, so a
    // large corpus is not read end to end before training starts.
    static constexpr int64_t kEagerValidationTokens = int64_t{1} << 28;

    // An empty source (no files, no instances), to be assigned later.
    InstanceSource() = default;
    // Maps every file (see TokenFile::open). Throws UsageError when `paths` is empty or no
    // file has a full sequence.
    InstanceSource(const std::vector<std::string>& paths, int64_t sequence_length,
                   const TokenDtypeRule& dtype);

    int64_t sequence_length() const { return sequence_length_; }
    int64_t num_instances() const { return first_instance_.empty() ? 0 : first_instance_.back(); }
    // Every token of every file, dropped remainders included.
    int64_t num_tokens() const { return num_tokens_; }
    const std::vector<TokenFile>& files() const { return files_; }

    // The file holding instance `index` and the offset (in tokens) of its first token.
    struct Location {
        size_t file = 0;
        int64_t offset = 0;
    };
    Location locate(int64_t index) const;

    // Copies instance `index` (sequence_length tokens) into `out`.
    // An index outside [0, num_instances()) is std::out_of_range.
    void read_instance(int64_t index, int32_t* out) const;

    // Every token id must be < vocab_size, else a UsageError naming the file, the token's
    // offset and the id. Scans all the data now when it holds at most
    // kEagerValidationTokens tokens; otherwise check_instance checks each instance as the
    // loader hands it out.
    void validate(int64_t vocab_size);
    // Whether validate() left the checks to check_instance.
    bool checks_lazily() const { return lazy_vocab_size_ > 0; }
    // The lazy half of validate(): checks instance `index`, or does nothing when the data was
    // scanned already or validate() was never called.
    void check_instance(int64_t index) const;

  private:
    std::vector<TokenFile> files_;
    // first_instance_[f] is the global index of file f's first instance; one extra entry
    // holds the total.
    std::vector<int64_t> first_instance_;
    int64_t sequence_length_ = 0;
    int64_t num_tokens_ = 0;
    int64_t lazy_vocab_size_ = 0;  // > 0 once validate() chose lazy checks
};

}  // namespace ladder::data
