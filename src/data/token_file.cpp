#include "data/token_file.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#include "util/error.hpp"
#include "util/format.hpp"

namespace ladder::data {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw UsageError("data file '" + path + "': " + what);
}

// Token files are little-endian whatever the host is.
template <class T>
T load_le(const unsigned char* p) {
    T value;
    std::memcpy(&value, p, sizeof value);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if constexpr (sizeof(T) == 2)
        value = __builtin_bswap16(value);
    else
        value = __builtin_bswap32(value);
#endif
    return value;
}

// Calls `f(i, id)` for the ids i = 0, 1, ... of [start, start + count) in a file of T, and
// stops early when `f` returns false. One template keeps the two widths' loops identical.
template <class T, class F>
void for_each_id(const unsigned char* data, int64_t start, int64_t count, F&& f) {
    const unsigned char* p = data + start * static_cast<int64_t>(sizeof(T));
    for (int64_t i = 0; i < count; ++i) {
        if (!f(i, load_le<T>(p + i * static_cast<int64_t>(sizeof(T)))))
            return;
    }
}

// for_each_id with the id type of `dtype`.
template <class F>
void for_each_id(TokenDtype dtype, const unsigned char* data, int64_t start, int64_t count, F&& f) {
    if (dtype == TokenDtype::kUint16)
        for_each_id<uint16_t>(data, start, count, f);
    else
        for_each_id<uint32_t>(data, start, count, f);
}

// ---- .npy header (format versions 1.0, 2.0, 3.0) ----

constexpr unsigned char kNpyMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

struct NpyHeader {
    TokenDtype dtype = TokenDtype::kUint16;
    int64_t length = 0;  // the 1-D shape
    size_t data_offset = 0;
};

// Parses the header's Python dict literal, e.g.
// {'descr': '<u2', 'fortran_order': False, 'shape': (1000,), }
class NpyDictParser {
  public:
    NpyDictParser(const std::string& path, std::string text)
        : path_(path), text_(std::move(text)) {}

    NpyHeader parse() {
        std::string descr;
        std::optional<bool> fortran_order;
        std::optional<std::vector<int64_t>> shape;
        skip_space();
        expect('{');
        while (true) {
            skip_space();
            if (peek() == '}') {
                ++pos_;
                break;
            }
            const std::string key = parse_string();
            skip_space();
            expect(':');
            skip_space();
            if (key == "descr")
                descr = parse_string();
            else if (key == "fortran_order")
                fortran_order = parse_bool();
            else if (key == "shape")
                shape = parse_tuple();
            else
                bad("unexpected key '" + key + "'");
            skip_space();
            if (peek() == ',')
                ++pos_;
            else if (peek() != '}')
                bad("expected ',' or '}'" + where());
        }
        skip_space();
        if (pos_ != text_.size())
            bad("unexpected text after the dict");
        if (descr.empty() || !fortran_order || !shape)
            bad("expected keys 'descr', 'fortran_order' and 'shape'");

        NpyHeader header;
        if (descr == "<u2")
            header.dtype = TokenDtype::kUint16;
        else if (descr == "<u4")
            header.dtype = TokenDtype::kUint32;
        else
            bad("dtype '" + descr + "', expected '<u2' or '<u4'");
        if (*fortran_order)
            bad("fortran_order is True, expected False");
        if (shape->size() != 1)
            bad("shape " + shape_text(*shape) + ", expected a 1-D array");
        header.length = (*shape)[0];
        return header;
    }

  private:
    [[noreturn]] void bad(const std::string& what) const {
        fail(path_, "bad .npy header (" + what + ")");
    }

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    std::string where() const {
        return pos_ < text_.size() ? " at byte " + std::to_string(pos_) : " at its end";
    }

    void skip_space() {
        while (pos_ < text_.size() && std::strchr(" \t\r\n", text_[pos_]) != nullptr)
            ++pos_;
    }

    void expect(char c) {
        if (peek() != c)
            bad(std::string("expected '") + c + "'" + where());
        ++pos_;
    }

    std::string parse_string() {
        const char quote = peek();
        if (quote != '\'' && quote != '"')
            bad("expected a quoted string" + where());
        const size_t end = text_.find(quote, pos_ + 1);
        if (end == std::string::npos)
            bad("unterminated string");
        std::string value = text_.substr(pos_ + 1, end - pos_ - 1);
        pos_ = end + 1;
        return value;
    }

    bool parse_bool() {
        for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
            if (text_.compare(pos_, std::strlen(word), word) == 0) {
                pos_ += std::strlen(word);
                return value;
            }
        }
        bad("expected True or False" + where());
    }

    std::vector<int64_t> parse_tuple() {
        std::vector<int64_t> values;
        expect('(');
        skip_space();
        while (peek() != ')') {
            if (!std::isdigit(static_cast<unsigned char>(peek())))
                bad("expected a dimension" + where());
            int64_t value = 0;
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                if (value > (INT64_MAX - 9) / 10)
                    bad("dimension too large");
                value = value * 10 + (text_[pos_++] - '0');
            }
            if (peek() == 'L')  // Python 2 wrote long ints with a suffix
                ++pos_;
            values.push_back(value);
            skip_space();
            if (peek() == ',') {
                ++pos_;
                skip_space();
            } else if (peek() != ')') {
                bad("expected ',' or ')'" + where());
            }
        }
        ++pos_;
        return values;
    }

    static std::string shape_text(const std::vector<int64_t>& shape) {
        std::string text = "(";
        for (size_t i = 0; i < shape.size(); ++i)
            text += (i ? ", " : "") + std::to_string(shape[i]);
        return text + (shape.size() == 1 ? ",)" : ")");
    }

    const std::string& path_;
    std::string text_;
    size_t pos_ = 0;
};

bool has_npy_magic(const unsigned char* map, size_t bytes) {
    return bytes >= sizeof kNpyMagic && std::memcmp(map, kNpyMagic, sizeof kNpyMagic) == 0;
}

NpyHeader parse_npy_header(const std::string& path, const unsigned char* map, size_t bytes) {
    // Magic, major and minor version, then the header length: 2 bytes in 1.0, 4 after.
    if (bytes < 10)
        fail(path, "bad .npy header (file too short)");
    const int major = map[6], minor = map[7];
    size_t header_start = 0, header_length = 0;
    if (major == 1) {
        header_start = 10;
        header_length = load_le<uint16_t>(map + 8);
    } else if ((major == 2 || major == 3) && bytes >= 12) {
        header_start = 12;
        header_length = load_le<uint32_t>(map + 8);
    } else {
        fail(path, "bad .npy header (version " + std::to_string(major) + "." +
                       std::to_string(minor) + ", expected 1.0, 2.0 or 3.0)");
    }
    if (header_length > bytes - header_start)
        fail(path, "bad .npy header (its length runs past the end of the file)");
    const std::string text(reinterpret_cast<const char*>(map + header_start), header_length);
    NpyHeader header = NpyDictParser(path, text).parse();
    header.data_offset = header_start + header_length;
    return header;
}

// Closes a descriptor on every path out of TokenFile::open.
struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
};

}  // namespace

int64_t item_size(TokenDtype dtype) {
    return dtype == TokenDtype::kUint16 ? 2 : 4;
}

const char* dtype_name(TokenDtype dtype) {
    return dtype == TokenDtype::kUint16 ? "uint16" : "uint32";
}

TokenDtype dtype_for_vocab(int64_t vocab_size) {
    return vocab_size <= kUint16Vocab ? TokenDtype::kUint16 : TokenDtype::kUint32;
}

const std::vector<std::string>& dtype_settings() {
    static const std::vector<std::string> settings = {"auto", dtype_name(TokenDtype::kUint16),
                                                      dtype_name(TokenDtype::kUint32)};
    return settings;
}

std::optional<TokenDtype> configured_dtype(const std::string& setting) {
    for (const TokenDtype dtype : {TokenDtype::kUint16, TokenDtype::kUint32}) {
        if (setting == dtype_name(dtype))
            return dtype;
    }
    if (setting == "auto")
        return std::nullopt;
    throw UsageError("data.dtype: expected one of " + join(dtype_settings(), "|") + ", got '" +
                     setting + "'");
}

TokenDtypeRule token_dtype_rule(const std::string& setting, int64_t vocab_size) {
    return TokenDtypeRule(dtype_for_vocab(vocab_size), configured_dtype(setting));
}

TokenFile TokenFile::open(const std::string& path, const TokenDtypeRule& rule) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever;
    // fstat below refuses it. Reads of a regular file ignore the flag.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            fail(path, "no such file");
        fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
    }
    const FdCloser closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0)
        fail(path, std::string("cannot stat (") + std::strerror(errno) + ")");
    if (S_ISDIR(info.st_mode))
        fail(path, "is a directory, expected a token file");
    if (!S_ISREG(info.st_mode))
        fail(path, "not a regular file");
    if (info.st_size == 0)
        fail(path, "empty (0 bytes)");

    TokenFile file;
    file.path_ = path;
    file.map_bytes_ = static_cast<size_t>(info.st_size);
    void* map = ::mmap(nullptr, file.map_bytes_, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        fail(path, std::string("cannot map (") + std::strerror(errno) + ")");
    file.map_ = static_cast<const unsigned char*>(map);  // from here the destructor unmaps

    size_t data_offset = 0;
    if (has_npy_magic(file.map_, file.map_bytes_)) {
        const NpyHeader header = parse_npy_header(path, file.map_, file.map_bytes_);
        if (rule.configured && *rule.configured != header.dtype) {
            fail(path, std::string(".npy header says ") + dtype_name(header.dtype) +
                           " tokens but data.dtype is " + dtype_name(*rule.configured));
        }
        file.is_npy_ = true;
        file.dtype_ = header.dtype;
        data_offset = header.data_offset;
        const size_t data_bytes = file.map_bytes_ - data_offset;
        if (header.length == 0)
            fail(path, "empty (.npy array of 0 tokens)");
        const uint64_t expected =
            static_cast<uint64_t>(header.length) * static_cast<uint64_t>(item_size(header.dtype));
        if (expected / static_cast<uint64_t>(item_size(header.dtype)) !=
                static_cast<uint64_t>(header.length) ||
            expected != data_bytes) {
            fail(path, "bad .npy header (shape (" + std::to_string(header.length) +
                           ",) does not match the " + std::to_string(data_bytes) +
                           " bytes of data)");
        }
    } else {
        file.dtype_ = rule.for_raw_files();
        if (file.map_bytes_ % static_cast<size_t>(item_size(file.dtype_)) != 0) {
            fail(path, std::to_string(file.map_bytes_) + " bytes is not a whole number of " +
                           dtype_name(file.dtype_) + " tokens");
        }
    }
    file.data_ = file.map_ + data_offset;
    file.size_ = static_cast<int64_t>((file.map_bytes_ - data_offset) / item_size(file.dtype_));
    return file;
}

TokenFile::TokenFile(TokenFile&& other) noexcept {
    *this = std::move(other);
}

TokenFile& TokenFile::operator=(TokenFile&& other) noexcept {
    if (this == &other)
        return *this;
    unmap();
    path_ = std::move(other.path_);
    dtype_ = other.dtype_;
    is_npy_ = other.is_npy_;
    map_ = std::exchange(other.map_, nullptr);
    map_bytes_ = std::exchange(other.map_bytes_, 0);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    return *this;
}

TokenFile::~TokenFile() {
    unmap();
}

void TokenFile::unmap() {
    if (map_ != nullptr)
        ::munmap(const_cast<unsigned char*>(map_), map_bytes_);
    map_ = nullptr;
    map_bytes_ = 0;
    data_ = nullptr;
}

void TokenFile::check_range(int64_t start, int64_t count) const {
    if (start < 0 || count < 0 || start > size_ || count > size_ - start) {
        throw std::out_of_range("token file '" + path_ + "': range [" + std::to_string(start) +
                                ", +" + std::to_string(count) + ") outside its " +
                                std::to_string(size_) + " tokens");
    }
}

void TokenFile::read(int64_t start, int64_t count, int32_t* out) const {
    check_range(start, count);
    const auto copy = [out](int64_t i, auto id) {
        out[i] = static_cast<int32_t>(id);
        return true;
    };
    for_each_id(dtype_, data_, start, count, copy);
}

uint32_t TokenFile::max_token(int64_t start, int64_t count) const {
    check_range(start, count);
    uint32_t max = 0;
    const auto keep_max = [&max](int64_t, auto id) {
        max = std::max<uint32_t>(max, id);
        return true;
    };
    for_each_id(dtype_, data_, start, count, keep_max);
    return max;
}

int64_t TokenFile::find_token_at_least(int64_t start, int64_t count, uint32_t bound) const {
    check_range(start, count);
    int64_t found = -1;
    const auto stop_at_bound = [&](int64_t i, auto id) {
        if (id < bound)
            return true;
        found = start + i;
        return false;
    };
    for_each_id(dtype_, data_, start, count, stop_at_bound);
    return found;
}

uint32_t TokenFile::token(int64_t offset) const {
    check_range(offset, 1);
    return dtype_ == TokenDtype::kUint16 ? load_le<uint16_t>(data_ + 2 * offset)
                                         : load_le<uint32_t>(data_ + 4 * offset);
}

std::vector<std::string> expand_paths(const std::vector<std::string>& patterns) {
    std::vector<std::string> paths;
    for (const auto& pattern : patterns) {
        if (pattern.find_first_of("*?[") == std::string::npos) {
            paths.push_back(pattern);
            continue;
        }
        glob_t matches{};
        // Unsorted: glob's own sort follows the locale's collation.
        const int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &matches);
        std::vector<std::string> found;
        if (rc == 0) {
            for (size_t i = 0; i < matches.gl_pathc; ++i)
                found.emplace_back(matches.gl_pathv[i]);
        }
        ::globfree(&matches);
        if (rc != 0 && rc != GLOB_NOMATCH)
            throw UsageError("data: cannot expand glob '" + pattern + "' (read error)");
        if (found.empty())
            throw UsageError("data: glob '" + pattern + "' matches no files");
        std::sort(found.begin(), found.end());
        paths.insert(paths.end(), found.begin(), found.end());
    }
    return paths;
}

void check_vocabulary(const TokenFile& file, int64_t start, int64_t count, int64_t vocab_size) {
    if (vocab_size > static_cast<int64_t>(std::numeric_limits<uint32_t>::max()))
        return;  // every uint32 id fits
    // Chunks big enough to be fast, small enough that the first bad id is found by rescanning
    // only one of them.
    constexpr int64_t kChunkTokens = int64_t{1} << 20;
    const auto bound = static_cast<uint32_t>(vocab_size);
    for (int64_t chunk = start; chunk < start + count; chunk += kChunkTokens) {
        const int64_t n = std::min(kChunkTokens, start + count - chunk);
        if (file.max_token(chunk, n) < bound)
            continue;
        const int64_t offset = file.find_token_at_least(chunk, n, bound);
        throw UsageError("data file '" + file.path() + "': token id " +
                         std::to_string(file.token(offset)) + " at offset " +
                         std::to_string(offset) + " is not below the vocabulary size " +
                         std::to_string(vocab_size) + " (wrong tokenizer or data.dtype?)");
    }
}

}  // namespace ladder::data
