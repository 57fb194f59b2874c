#include "data/instance_source.hpp"

#include <algorithm>
#include <stdexcept>

#include "util/error.hpp"

namespace ladder::data {

InstanceSource::InstanceSource(const std::vector<std::string>& paths, int64_t sequence_length,
                               const TokenDtypeRule& dtype)
    : sequence_length_(sequence_length) {
    if (sequence_length <= 0) {
        throw UsageError("data: sequence length must be positive, got " +
                         std::to_string(sequence_length));
    }
    if (paths.empty())
        throw UsageError("data: no token files given");
    files_.reserve(paths.size());
    first_instance_.push_back(0);
    for (const auto& path : paths) {
        files_.push_back(TokenFile::open(path, dtype));
        num_tokens_ += files_.back().size();
        first_instance_.push_back(first_instance_.back() + files_.back().size() / sequence_length);
    }
    if (num_instances() == 0) {
        throw UsageError("data: no file has a full sequence of " + std::to_string(sequence_length) +
                         " tokens");
    }
}

InstanceSource::Location InstanceSource::locate(int64_t index) const {
    if (index < 0 || index >= num_instances()) {
        throw std::out_of_range("instance " + std::to_string(index) + " outside [0, " +
                                std::to_string(num_instances()) + ")");
    }
    // The last file whose first instance is <= index (files without instances share their
    // first index with the next file, and upper_bound skips past them).
    const auto after = std::upper_bound(first_instance_.begin(), first_instance_.end(), index);
    const size_t file = static_cast<size_t>(after - first_instance_.begin()) - 1;
    return {file, (index - first_instance_[file]) * sequence_length_};
}

void InstanceSource::read_instance(int64_t index, int32_t* out) const {
    const Location at = locate(index);
    files_[at.file].read(at.offset, sequence_length_, out);
}

void InstanceSource::validate(int64_t vocab_size) {
    if (vocab_size <= 0)
        throw UsageError("data: vocabulary size must be positive, got " +
                         std::to_string(vocab_size));
    if (num_tokens_ > kEagerValidationTokens) {
        lazy_vocab_size_ = vocab_size;
        return;
    }
    for (const auto& file : files_)
        check_vocabulary(file, 0, file.size(), vocab_size);
    lazy_vocab_size_ = 0;
}

void InstanceSource::check_instance(int64_t index) const {
    if (lazy_vocab_size_ <= 0)
        return;
    const Location at = locate(index);
    check_vocabulary(files_[at.file], at.offset, sequence_length_, lazy_vocab_size_);
}

}  // namespace ladder::data
