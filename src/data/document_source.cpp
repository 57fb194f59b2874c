#include "data/document_source.hpp"

#include <algorithm>
#include <stdexcept>

#include "util/error.hpp"

namespace ladder::data {

DocumentSource::DocumentSource(const std::vector<std::string>& paths, int64_t sequence_length,
                               const TokenDtypeRule& dtype, int64_t eos_token_id,
                               int64_t pad_token_id, int64_t vocab_size)
    : sequence_length_(sequence_length), pad_token_id_(static_cast<int32_t>(pad_token_id)) {
    if (sequence_length <= 0) {
        throw UsageError("data: sequence length must be positive, got " +
                         std::to_string(sequence_length));
    }
    if (paths.empty())
        throw UsageError("data: no token files given");
    constexpr int64_t kBlockTokens = int64_t{1} << 20;
    std::vector<int32_t> block;
    for (const std::string& path : paths) {
        TokenFile file = TokenFile::open(path, dtype);
        check_vocabulary(file, 0, file.size(), vocab_size);
        const auto index = static_cast<int32_t>(files_.size());
        int64_t start = 0;  // of the current document
        for (int64_t at = 0; at < file.size(); at += kBlockTokens) {
            const int64_t n = std::min(kBlockTokens, file.size() - at);
            block.resize(static_cast<size_t>(n));
            file.read(at, n, block.data());
            for (int64_t i = 0; i < n; ++i) {
                if (block[static_cast<size_t>(i)] != eos_token_id)
                    continue;
                const int64_t end = at + i + 1;  // the EOS is the document's last token
                documents_.push_back(
                    {start, index, static_cast<int32_t>(std::min(end - start, sequence_length))});
                start = end;
            }
        }
        files_.push_back(std::move(file));
    }
    if (documents_.empty()) {
        throw UsageError("data file '" + paths.front() + "'" +
                         (paths.size() > 1 ? " and the others of its set" : "") +
                         ": no end-of-document token (id " + std::to_string(eos_token_id) +
                         "), so no document to evaluate (wrong tokenizer.eos_token_id?)");
    }
}

int64_t DocumentSource::read_document(int64_t index, int32_t* out) const {
    if (index < 0 || index >= num_documents()) {
        throw std::out_of_range("document " + std::to_string(index) + " outside [0, " +
                                std::to_string(num_documents()) + ")");
    }
    const Document& doc = documents_[static_cast<size_t>(index)];
    files_[static_cast<size_t>(doc.file)].read(doc.offset, doc.length, out);
    std::fill(out + doc.length, out + sequence_length_, pad_token_id_);
    return doc.length;
}

}  // namespace ladder::data
