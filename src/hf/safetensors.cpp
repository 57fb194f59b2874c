// Reading and writing safetensors files (see safetensors.hpp).
#include "hf/safetensors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "util/error.hpp"
#include "util/input_file.hpp"

namespace ladder::hf {

namespace {

using nlohmann::json;

// The header may hold at most this much JSON (the safetensors crate's own limit).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

void put_u64(std::FILE* file, uint64_t value, const std::string& path) {
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i)
        bytes[i] = static_cast<unsigned char>((value >> (8 * i)) & 0xff);
    if (std::fwrite(bytes, 1, 8, file) != 8)
        throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

}  // namespace

int64_t TensorEntry::elements() const {
    int64_t n = 1;
    for (const int64_t d : shape)
        n *= d;
    return n;
}

size_t dtype_size(const std::string& dtype) {
    if (dtype == "F64" || dtype == "I64" || dtype == "U64")
        return 8;
    if (dtype == "F32" || dtype == "I32" || dtype == "U32")
        return 4;
    if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16")
        return 2;
    if (dtype == "I8" || dtype == "U8" || dtype == "BOOL")
        return 1;
    return 0;
}

SafetensorsWriter::SafetensorsWriter(const std::string& path, std::vector<TensorEntry> tensors,
                                     const std::map<std::string, std::string>& metadata)
    : path_(path), tensors_(std::move(tensors)) {
    json header = json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    for (TensorEntry& t : tensors_) {
        const size_t size = dtype_size(t.dtype);
        if (size == 0)
            throw std::logic_error("safetensors: unknown dtype " + t.dtype);
        t.begin = total_;
        t.end = total_ + static_cast<uint64_t>(t.elements()) * size;
        total_ = t.end;
        header[t.name] = {
            {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {t.begin, t.end}}};
    }
    std::string text = header.dump();
    // The buffer starts 8-byte aligned, as the safetensors crate pads its headers.
    text.append((8 - text.size() % 8) % 8, ' ');
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_)
        throw UsageError("cannot write '" + path + "': " + std::strerror(errno));
    put_u64(file_, text.size(), path_);
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size())
        throw std::runtime_error("cannot write '" + path_ + "': " + std::strerror(errno));
}

SafetensorsWriter::~SafetensorsWriter() {
    if (file_)
        std::fclose(file_);
}

void SafetensorsWriter::write(const void* data, size_t bytes) {
    if (written_ + bytes > total_)
        throw std::logic_error("safetensors '" + path_ + "': more bytes than its tensors hold");
    if (bytes > 0 && std::fwrite(data, 1, bytes, file_) != bytes)
        throw std::runtime_error("cannot write '" + path_ + "': " + std::strerror(errno));
    written_ += bytes;
}

void SafetensorsWriter::close() {
    if (written_ != total_) {
        throw std::logic_error("safetensors '" + path_ + "': " + std::to_string(written_) + " of " +
                               std::to_string(total_) + " bytes written");
    }
    const int closed = std::fclose(file_);
    file_ = nullptr;
    if (closed != 0)
        throw std::runtime_error("cannot write '" + path_ + "': " + std::strerror(errno));
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
    check_input_file(path, "safetensors file");
    const auto bad = [&](const std::string& what) {
        return UsageError("safetensors file '" + path + "': " + what);
    };
    std::error_code error;
    const uint64_t size = std::filesystem::file_size(path, error);
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_ || error)
        throw UsageError("cannot read '" + path + "': " + std::strerror(errno));
    unsigned char length_bytes[8];
    if (size < 8 || std::fread(length_bytes, 1, 8, file_) != 8)
        throw bad("shorter than its 8-byte header length");
    uint64_t length = 0;
    for (int i = 0; i < 8; ++i)
        length |= static_cast<uint64_t>(length_bytes[i]) << (8 * i);
    if (length > kMaxHeaderBytes || length > size - 8)
        throw bad("header length " + std::to_string(length) + " does not fit the file (" +
                  std::to_string(size) + " bytes)");
    std::string text(length, '\0');
    if (std::fread(text.data(), 1, length, file_) != length)
        throw bad("cannot read its header");
    json header;
    try {
        header = json::parse(text);
    } catch (const json::parse_error&) {
        throw bad("header is not JSON");
    }
    if (!header.is_object())
        throw bad("header is not a JSON object");
    data_start_ = 8 + length;
    const uint64_t buffer = size - data_start_;
    for (const auto& [name, value] : header.items()) {
        if (name == "__metadata__") {
            if (!value.is_object())
                throw bad("__metadata__ is not an object");
            for (const auto& [key, text_value] : value.items()) {
                if (!text_value.is_string())
                    throw bad("__metadata__." + key + " is not a string");
                metadata_[key] = text_value.get<std::string>();
            }
            continue;
        }
        const std::string where = "tensor '" + name + "'";
        if (!value.is_object() || !value.contains("dtype") || !value["dtype"].is_string() ||
            !value.contains("shape") || !value["shape"].is_array() ||
            !value.contains("data_offsets") || !value["data_offsets"].is_array() ||
            value["data_offsets"].size() != 2)
            throw bad(where + ": expected {\"dtype\", \"shape\", \"data_offsets\": [begin, end]}");
        TensorEntry entry;
        entry.name = name;
        entry.dtype = value["dtype"].get<std::string>();
        const size_t item = dtype_size(entry.dtype);
        if (item == 0)
            throw bad(where + ": unknown dtype '" + entry.dtype + "'");
        for (const json& d : value["shape"]) {
            if (!d.is_number_unsigned())
                throw bad(where + ": shape holds " + d.dump() + ", not a size");
            entry.shape.push_back(d.get<int64_t>());
        }
        for (const json& offset : value["data_offsets"]) {
            if (!offset.is_number_unsigned())
                throw bad(where + ": data_offsets holds " + offset.dump());
        }
        entry.begin = value["data_offsets"][0].get<uint64_t>();
        entry.end = value["data_offsets"][1].get<uint64_t>();
        if (entry.end < entry.begin || entry.end > buffer)
            throw bad(where + ": data_offsets [" + std::to_string(entry.begin) + ", " +
                      std::to_string(entry.end) + "] lie outside its " + std::to_string(buffer) +
                      "-byte buffer (a truncated file?)");
        if (entry.bytes() != static_cast<uint64_t>(entry.elements()) * item)
            throw bad(where + ": " + std::to_string(entry.bytes()) + " bytes for " +
                      std::to_string(entry.elements()) + " " + entry.dtype + " elements");
        tensors_.push_back(std::move(entry));
    }
    // Every byte of the buffer in exactly one tensor.
    std::vector<const TensorEntry*> by_offset;
    for (const TensorEntry& t : tensors_)
        by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(), [](const TensorEntry* a, const TensorEntry* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    uint64_t covered = 0;
    for (const TensorEntry* t : by_offset) {
        if (t->begin != covered)
            throw bad("tensor '" + t->name + "' starts at byte " + std::to_string(t->begin) +
                      ", expected " + std::to_string(covered) + " (a hole or an overlap)");
        covered = t->end;
    }
    if (covered != buffer)
        throw bad("its tensors hold " + std::to_string(covered) + " bytes but the buffer has " +
                  std::to_string(buffer));
    for (size_t i = 0; i < tensors_.size(); ++i)
        index_[tensors_[i].name] = i;
}

SafetensorsFile::~SafetensorsFile() {
    if (file_)
        std::fclose(file_);
}

const TensorEntry* SafetensorsFile::find(const std::string& name) const {
    const auto found = index_.find(name);
    return found == index_.end() ? nullptr : &tensors_[found->second];
}

void SafetensorsFile::read(const TensorEntry& entry, void* out) const {
    if (fseeko(file_, static_cast<off_t>(data_start_ + entry.begin), SEEK_SET) != 0 ||
        std::fread(out, 1, entry.bytes(), file_) != entry.bytes())
        throw std::runtime_error("cannot read tensor '" + entry.name + "' of '" + path_ +
                                 "': " + std::strerror(errno));
}

}  // namespace ladder::hf
