// Evaluation instances as OLMo-core's LM evaluator cuts them: NumpyPaddedFSLDataset
// (olmo_core/data/numpy_dataset.py), whose documents come from segment_documents_into_instances
// and iter_document_indices (olmo_core/data/utils.py). One instance per document, the tokens
// up to and including each EOS; a document longer than the sequence is truncated to it (the
// rest dropped, not split) and a shorter one right-padded with the pad id, its label mask
// false on the padding. Tokens after a file's last EOS belong to no document.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/token_file.hpp"

namespace ladder::data {

class DocumentSource {
  public:
    // Maps every file, finds its documents and checks every id is below vocab_size. Throws
    // UsageError (one line naming the file) for a bad file, an id out of the vocabulary, or
    // when no file has a single document.
    DocumentSource(const std::vector<std::string>& paths, int64_t sequence_length,
                   const TokenDtypeRule& dtype, int64_t eos_token_id, int64_t pad_token_id,
                   int64_t vocab_size);

    int64_t sequence_length() const { return sequence_length_; }
    int64_t num_documents() const { return static_cast<int64_t>(documents_.size()); }

    // Writes document `index` into out[0, sequence_length): its tokens (at most
    // sequence_length), then the pad id; returns how many are its own, the positions its label
    // mask covers. An index outside [0, num_documents()) is std::out_of_range.
    int64_t read_document(int64_t index, int32_t* out) const;

  private:
    struct Document {
        int64_t offset;  // of its first token in its file
        int32_t file;
        int32_t length;  // after truncation: 1..sequence_length
    };

    std::vector<TokenFile> files_;
    std::vector<Document> documents_;
    int64_t sequence_length_;
    int32_t pad_token_id_;
};

}  // namespace ladder::data
