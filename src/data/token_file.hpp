// Token files: read-only memory maps of uint16/uint32 token arrays, either OLMo's raw
// headerless little-endian arrays (what olmo_core/data/utils.py, load_array_slice, memory-maps)
// or real NumPy .npy files; plus path globbing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ladder::data {

enum class TokenDtype { kUint16, kUint32 };

// Bytes per token: 2 or 4.
int64_t item_size(TokenDtype dtype);
// "uint16" or "uint32", as the config and messages spell it.
const char* dtype_name(TokenDtype dtype);

// The largest vocabulary whose ids all fit uint16: ids 0..65,535.
inline constexpr int64_t kUint16Vocab = 65536;

// OLMo-core's rule (olmo_core/data/composable/numpy_document_source.py,
// NumpyDocumentSourceConfigBase.get_dtype: the narrowest type that holds id vocab_size - 1),
// limited to the two widths of OLMo's files: uint16 when vocab_size <= kUint16Vocab.
TokenDtype dtype_for_vocab(int64_t vocab_size);

// The values of a token-width setting (`data.dtype`, `tokenize --dtype`): "auto", "uint16",
// "uint32".
const std::vector<std::string>& dtype_settings();

// A token-width setting: "auto" -> nullopt (derive from the vocabulary), "uint16" or
// "uint32" -> that width. Anything else is a UsageError.
std::optional<TokenDtype> configured_dtype(const std::string& setting);

// How a file's token width is decided. Raw files carry no width, so they are read as
// `configured` when the config names one, else as `from_vocab`. A real .npy file carries its
// own width, which wins over `from_vocab`; only a width the config named explicitly must
// match it (a mismatch is an error, since the user said something the file contradicts).
// Converts implicitly from a TokenDtype, which then counts as a default, not a demand.
struct TokenDtypeRule {
    TokenDtype from_vocab;
    std::optional<TokenDtype> configured;

    TokenDtypeRule(TokenDtype from_vocab,  // NOLINT(google-explicit-constructor)
                   std::optional<TokenDtype> configured = std::nullopt)
        : from_vocab(from_vocab), configured(configured) {}

    TokenDtype for_raw_files() const { return configured.value_or(from_vocab); }
};

// The rule for a config: `data.dtype` (see configured_dtype) and the tokenizer's vocab size.
TokenDtypeRule token_dtype_rule(const std::string& setting, int64_t vocab_size);

// A read-only memory map of one token file; never reads the whole file into memory.
// Move-only; unmaps in the destructor.
class TokenFile {
  public:
    // Maps `path`. A file that starts with NumPy's magic "\x93NUMPY" is parsed as .npy
    // (versions 1.0-3.0, descr '<u2' or '<u4', C order, 1-D); any other file is a raw array
    // of `rule.for_raw_files()` tokens. Throws UsageError (one line naming the file) when it
    // is missing or unreadable, empty, not a whole number of tokens, or a bad .npy.
    static TokenFile open(const std::string& path, const TokenDtypeRule& rule);

    TokenFile() = default;
    TokenFile(TokenFile&& other) noexcept;
    TokenFile& operator=(TokenFile&& other) noexcept;
    TokenFile(const TokenFile&) = delete;
    TokenFile& operator=(const TokenFile&) = delete;
    ~TokenFile();

    const std::string& path() const { return path_; }
    TokenDtype dtype() const { return dtype_; }
    bool is_npy() const { return is_npy_; }
    // Number of tokens.
    int64_t size() const { return size_; }

    // Copies tokens [start, start + count) into `out` as int32 (vocabulary ids fit; ids of a
    // uint32 file above INT32_MAX wrap, which validation against the vocabulary rejects).
    // A range outside the file is a programming error: std::out_of_range.
    void read(int64_t start, int64_t count, int32_t* out) const;

    // The largest id in [start, start + count) (0 for an empty range).
    uint32_t max_token(int64_t start, int64_t count) const;

    // The offset of the first id >= `bound` in [start, start + count), or -1 if none.
    int64_t find_token_at_least(int64_t start, int64_t count, uint32_t bound) const;

    // The id at `offset`.
    uint32_t token(int64_t offset) const;

  private:
    void check_range(int64_t start, int64_t count) const;
    void unmap();

    std::string path_;
    TokenDtype dtype_ = TokenDtype::kUint16;
    bool is_npy_ = false;
    const unsigned char* map_ = nullptr;  // the whole file
    size_t map_bytes_ = 0;
    const unsigned char* data_ = nullptr;  // the first token, after any .npy header
    int64_t size_ = 0;
};

// Throws UsageError naming the file, the offset and the id of the first id >= vocab_size in
// tokens [start, start + count) of `file`, if there is one.
void check_vocabulary(const TokenFile& file, int64_t start, int64_t count, int64_t vocab_size);

// Expands data paths in order: an entry with a glob character (* ? [) is a glob(3) pattern
// replaced by its matches sorted bytewise (so the order never depends on the locale); a
// pattern that matches nothing is a UsageError naming it. Other entries are kept as they are
// (a missing file is reported when it is opened).
std::vector<std::string> expand_paths(const std::vector<std::string>& patterns);

}  // namespace ladder::data
