// The safetensors format (huggingface/safetensors, docs "Format"): an 8-byte little-endian
// header length N, N bytes of JSON mapping each tensor's name to {"dtype", "shape",
// "data_offsets": [begin, end]} (offsets into the byte buffer after the header) and an
// optional "__metadata__" map of strings, then the buffer: every byte belongs to exactly
// one tensor, no holes, no overlaps. Tensors are raw little-endian, row-major.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace ladder::hf {

struct TensorEntry {
    std::string name;
    std::string dtype;  // "F32", "BF16", "F16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;  // within the byte buffer

    uint64_t bytes() const { return end - begin; }
    int64_t elements() const;
};

// Bytes per element of a safetensors dtype; 0 for a dtype this reader does not know.
size_t dtype_size(const std::string& dtype);

// Writes one file as its tensors arrive, in the order given: the header is written first,
// from the names, dtypes and shapes, then each tensor's bytes (in one or more pieces), so no
// copy of the whole is ever held. close() checks that every byte arrived.
class SafetensorsWriter {
  public:
    SafetensorsWriter(const std::string& path, std::vector<TensorEntry> tensors,
                      const std::map<std::string, std::string>& metadata);
    ~SafetensorsWriter();
    SafetensorsWriter(const SafetensorsWriter&) = delete;
    SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

    // The next bytes of the buffer; throws std::logic_error past its end.
    void write(const void* data, size_t bytes);
    void close();

    // The offsets the header gives each tensor.
    const std::vector<TensorEntry>& tensors() const { return tensors_; }

  private:
    std::string path_;
    std::FILE* file_ = nullptr;
    std::vector<TensorEntry> tensors_;
    uint64_t written_ = 0, total_ = 0;
};

// A safetensors file, its header checked in full when opened (UsageError naming the file
// and what is wrong); tensors are read on demand.
class SafetensorsFile {
  public:
    explicit SafetensorsFile(const std::string& path);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::string& path() const { return path_; }
    const std::vector<TensorEntry>& tensors() const { return tensors_; }
    const TensorEntry* find(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

    // Reads `entry`'s bytes (entry.bytes() of them) into `out`.
    void read(const TensorEntry& entry, void* out) const;

  private:
    std::string path_;
    std::FILE* file_ = nullptr;
    uint64_t data_start_ = 0;
    std::vector<TensorEntry> tensors_;
    std::map<std::string, size_t> index_;
    std::map<std::string, std::string> metadata_;
};

}  // namespace ladder::hf
