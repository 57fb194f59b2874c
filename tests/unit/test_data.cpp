// The data layer on real files in a temporary directory: token files (raw and .npy), path
// globs, instances across files, validation, and the loader's shuffle, rank split and
// resumption.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/data_loader.hpp"
#include "data/document_source.hpp"
#include "data/instance_source.hpp"
#include "data/token_file.hpp"
#include "e2e/run_ladder.hpp"
#include "util/error.hpp"

using ladder::UsageError;
using ladder::data::configured_dtype;
using ladder::data::DataLoader;
using ladder::data::DocumentSource;
using ladder::data::dtype_for_vocab;
using ladder::data::expand_paths;
using ladder::data::InstanceSource;
using ladder::data::LoaderState;
using ladder::data::shuffled_order;
using ladder::data::token_dtype_rule;
using ladder::data::TokenDtype;
using ladder::data::TokenDtypeRule;
using ladder::data::TokenFile;
using ladder::test::usage_error_of;

namespace {

using ScratchDir = ladder::test::TempDir;

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

// Little-endian bytes of `ids` at `width` bytes each.
std::string le_bytes(const std::vector<uint32_t>& ids, int width) {
    std::string bytes;
    for (uint32_t id : ids) {
        for (int b = 0; b < width; ++b)
            bytes += static_cast<char>((id >> (8 * b)) & 0xFF);
    }
    return bytes;
}

void write_raw(const std::string& path, const std::vector<uint32_t>& ids, TokenDtype dtype) {
    write_bytes(path, le_bytes(ids, dtype == TokenDtype::kUint16 ? 2 : 4));
}

// A .npy file as NumPy writes it: magic, version, header length, the dict padded with spaces
// and a newline to a multiple of 64 bytes, then the data.
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
    const size_t prefix = major == 1 ? 10 : 12;
    std::string header = dict;
    while ((prefix + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    std::string bytes = "\x93NUMPY";
    bytes += static_cast<char>(major);
    bytes += '\0';
    for (size_t b = 0; b < prefix - 8; ++b)
        bytes += static_cast<char>((header.size() >> (8 * b)) & 0xFF);
    return bytes + header + data;
}

std::string npy_dict(const std::string& descr, size_t length) {
    return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" +
           std::to_string(length) + ",), }";
}

std::vector<int32_t> read_all(const TokenFile& file) {
    std::vector<int32_t> tokens(static_cast<size_t>(file.size()));
    file.read(0, file.size(), tokens.data());
    return tokens;
}

std::vector<int32_t> as_int32(const std::vector<uint32_t>& ids) {
    return std::vector<int32_t>(ids.begin(), ids.end());
}

// Files whose every token is its position in the concatenation of all instances, so a
// token names the instance it belongs to: instance = token / seq. Each file has `counts[f]`
// instances plus `remainder` tokens that must be dropped (given the marker id 999999).
std::vector<std::string> write_numbered_files(const ScratchDir& dir,
                                              const std::vector<int64_t>& counts, int64_t seq,
                                              int64_t remainder) {
    std::vector<std::string> paths;
    uint32_t next = 0;
    for (size_t f = 0; f < counts.size(); ++f) {
        std::vector<uint32_t> ids;
        for (int64_t i = 0; i < counts[f] * seq; ++i)
            ids.push_back(next++);
        ids.insert(ids.end(), static_cast<size_t>(remainder), 999999);
        paths.push_back(dir / ("part-" + std::to_string(f) + ".npy"));
        write_raw(paths.back(), ids, TokenDtype::kUint32);
    }
    return paths;
}

// One epoch of a loader: the instance indices of each batch, checked against the tokens.
std::vector<std::vector<int64_t>> one_epoch(DataLoader& loader, const InstanceSource& source) {
    std::vector<std::vector<int64_t>> batches;
    std::vector<int32_t> tokens;
    const int64_t seq = source.sequence_length();
    for (int64_t b = 0; b < loader.batches_per_epoch(); ++b) {
        REQUIRE(loader.next_batch(tokens));
        REQUIRE(static_cast<int64_t>(tokens.size()) == loader.rank_batch_instances() * seq);
        const auto& indices = loader.last_indices();
        for (size_t row = 0; row < indices.size(); ++row) {
            for (int64_t j = 0; j < seq; ++j)
                REQUIRE(tokens[row * seq + j] == indices[row] * seq + j);
        }
        batches.push_back(indices);
    }
    return batches;
}

}  // namespace

TEST_CASE("token dtype follows the vocabulary unless configured", "[data]") {
    CHECK(dtype_for_vocab(50280) == TokenDtype::kUint16);
    CHECK(dtype_for_vocab(65536) == TokenDtype::kUint16);
    CHECK(dtype_for_vocab(65537) == TokenDtype::kUint32);
    CHECK(dtype_for_vocab(100278) == TokenDtype::kUint32);
    CHECK(!configured_dtype("auto"));
    CHECK(configured_dtype("uint16") == TokenDtype::kUint16);
    CHECK(configured_dtype("uint32") == TokenDtype::kUint32);
    CHECK(usage_error_of([] { configured_dtype("int8"); }) ==
          "data.dtype: expected one of auto|uint16|uint32, got 'int8'");
    const TokenDtypeRule rule = token_dtype_rule("uint16", 100278);
    CHECK(rule.for_raw_files() == TokenDtype::kUint16);
    CHECK(token_dtype_rule("auto", 100278).for_raw_files() == TokenDtype::kUint32);
}

TEST_CASE("raw uint16 and uint32 token files read back", "[data]") {
    ScratchDir dir;
    const std::vector<uint32_t> small = {0, 1, 2, 65535, 300, 7, 50279};
    const std::vector<uint32_t> large = {0, 100277, 65536, 5, 1u << 30, 100257};
    write_raw(dir / "small.npy", small, TokenDtype::kUint16);
    write_raw(dir / "large.npy", large, TokenDtype::kUint32);

    const TokenFile a = TokenFile::open(dir / "small.npy", TokenDtype::kUint16);
    CHECK(!a.is_npy());
    CHECK(a.dtype() == TokenDtype::kUint16);
    CHECK(a.size() == 7);
    CHECK(read_all(a) == as_int32(small));
    CHECK(a.max_token(0, 7) == 65535);
    CHECK(a.max_token(4, 3) == 50279);
    CHECK(a.find_token_at_least(0, 7, 50279) == 3);
    CHECK(a.find_token_at_least(4, 3, 50279) == 6);
    CHECK(a.find_token_at_least(0, 3, 3) == -1);

    TokenFile b = TokenFile::open(dir / "large.npy", TokenDtype::kUint32);
    CHECK(b.size() == 6);
    CHECK(read_all(b) == as_int32(large));
    std::vector<int32_t> middle(2);
    b.read(2, 2, middle.data());
    CHECK(middle == std::vector<int32_t>{65536, 5});
    CHECK(b.max_token(0, 6) == (1u << 30));
    CHECK(b.token(1) == 100277);
    CHECK_THROWS_AS(b.read(5, 2, middle.data()), std::out_of_range);

    // Move-only: the map follows the object.
    TokenFile moved = std::move(b);
    CHECK(moved.size() == 6);
    CHECK(read_all(moved) == as_int32(large));
    moved = TokenFile::open(dir / "small.npy", TokenDtype::kUint16);
    CHECK(read_all(moved) == as_int32(small));
}

TEST_CASE("real .npy files take their dtype from the header", "[data]") {
    ScratchDir dir;
    const std::vector<uint32_t> ids = {10, 70000, 3, 100277};
    write_bytes(dir / "v1.npy", npy_bytes(npy_dict("<u4", 4), le_bytes(ids, 4)));
    write_bytes(dir / "v2.npy", npy_bytes(npy_dict("<u2", 3), le_bytes({1, 2, 65535}, 2), 2));
    write_bytes(dir / "v3.npy",
                npy_bytes("{\"descr\":\"<u2\",\"fortran_order\":False,\"shape\":(2,)}",
                          le_bytes({9, 8}, 2), 3));

    // The vocabulary's default (uint16) does not override the header's uint32.
    const TokenFile v1 = TokenFile::open(dir / "v1.npy", TokenDtype::kUint16);
    CHECK(v1.is_npy());
    CHECK(v1.dtype() == TokenDtype::kUint32);
    CHECK(v1.size() == 4);
    CHECK(read_all(v1) == as_int32(ids));
    CHECK(TokenFile::open(dir / "v1.npy", {TokenDtype::kUint16, TokenDtype::kUint32}).size() == 4);
    // A width the config names explicitly must agree with the header.
    CHECK(usage_error_of([&] {
              TokenFile::open(dir / "v1.npy", {TokenDtype::kUint32, TokenDtype::kUint16});
          }) == "data file '" + (dir / "v1.npy") +
                    "': .npy header says uint32 tokens but data.dtype is uint16");

    const TokenFile v2 = TokenFile::open(dir / "v2.npy", TokenDtype::kUint32);
    CHECK(v2.dtype() == TokenDtype::kUint16);
    CHECK(read_all(v2) == std::vector<int32_t>{1, 2, 65535});
    CHECK(read_all(TokenFile::open(dir / "v3.npy", TokenDtype::kUint32)) ==
          std::vector<int32_t>{9, 8});
}

TEST_CASE("token file errors name the file and what was expected", "[data]") {
    ScratchDir dir;
    const auto open_error = [&](const std::string& name, TokenDtypeRule rule) {
        return usage_error_of([&] { TokenFile::open(dir / name, rule); });
    };
    const auto prefix = [&](const std::string& name) {
        return "data file '" + (dir / name) + "': ";
    };

    CHECK(open_error("missing.npy", TokenDtype::kUint16) == prefix("missing.npy") + "no such file");
    CHECK(open_error("nowhere/x.npy", TokenDtype::kUint16) ==
          prefix("nowhere/x.npy") + "no such file");
    std::filesystem::create_directory(dir / "folder");
    CHECK(open_error("folder", TokenDtype::kUint16) ==
          prefix("folder") + "is a directory, expected a token file");

    write_bytes(dir / "odd.npy", std::string(1001, 'x'));
    CHECK(open_error("odd.npy", TokenDtype::kUint16) ==
          prefix("odd.npy") + "1001 bytes is not a whole number of uint16 tokens");
    write_bytes(dir / "six.npy", std::string(1002, 'x'));
    CHECK_NOTHROW(TokenFile::open(dir / "six.npy", TokenDtype::kUint16));
    CHECK(open_error("six.npy", {TokenDtype::kUint16, TokenDtype::kUint32}) ==
          prefix("six.npy") + "1002 bytes is not a whole number of uint32 tokens");
    write_bytes(dir / "empty.npy", "");
    CHECK(open_error("empty.npy", TokenDtype::kUint16) == prefix("empty.npy") + "empty (0 bytes)");

    const std::string two = le_bytes({1, 2}, 2);
    const auto bad_header = [&](const std::string& bytes) {
        write_bytes(dir / "bad.npy", bytes);
        return open_error("bad.npy", TokenDtype::kUint16);
    };
    const std::string bad = prefix("bad.npy") + "bad .npy header (";
    CHECK(bad_header(npy_bytes(npy_dict("<i8", 2), two)) ==
          bad + "dtype '<i8', expected '<u2' or '<u4')");
    CHECK(bad_header(npy_bytes(npy_dict("|u1", 2), two)) ==
          bad + "dtype '|u1', expected '<u2' or '<u4')");
    CHECK(bad_header(npy_bytes("{'descr': '<u2', 'fortran_order': True, 'shape': (2,), }", two)) ==
          bad + "fortran_order is True, expected False)");
    CHECK(bad_header(npy_bytes("{'descr': '<u2', 'fortran_order': False, 'shape': (1, 2), }",
                               two)) == bad + "shape (1, 2), expected a 1-D array)");
    CHECK(bad_header(npy_bytes("{'descr': '<u2', 'fortran_order': False, 'shape': (), }", two)) ==
          bad + "shape (), expected a 1-D array)");
    CHECK(bad_header(npy_bytes("{'descr': '<u2', 'shape': (2,), }", two)) ==
          bad + "expected keys 'descr', 'fortran_order' and 'shape')");
    CHECK(bad_header(npy_bytes("{'descr': '<u2', 'fortran_order': False, 'shape': (2,", two)) ==
          bad + "expected a dimension at its end)");
    CHECK(bad_header(npy_bytes("{'descr': '<u2' 'fortran_order': False}", two)) ==
          bad + "expected ',' or '}' at byte 16)");
    CHECK(bad_header(npy_bytes("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), 'x': 1}",
                               two)) == bad + "unexpected key 'x')");
    CHECK(bad_header(npy_bytes(npy_dict("<u2", 3), two)) ==
          bad + "shape (3,) does not match the 4 bytes of data)");
    CHECK(bad_header(npy_bytes(npy_dict("<u2", 2), two, 4)) ==
          bad + "version 4.0, expected 1.0, 2.0 or 3.0)");
    CHECK(bad_header(std::string("\x93NUMPY\x01\x00\xff\x00{", 11)) ==
          bad + "its length runs past the end of the file)");
    CHECK(bad_header("\x93NUMPY") == bad + "file too short)");
    CHECK(bad_header(npy_bytes(npy_dict("<u2", 0), "")) ==
          prefix("bad.npy") + "empty (.npy array of 0 tokens)");
}

TEST_CASE("expand_paths keeps literal paths and sorts each glob's matches", "[data]") {
    ScratchDir dir;
    for (const char* name : {"b.npy", "a.npy", "c.npy", "B.npy", "z.bin"})
        write_bytes(dir / name, "xx");
    CHECK(expand_paths({dir / "z.bin", dir / "*.npy", dir / "missing.npy"}) ==
          std::vector<std::string>{dir / "z.bin", dir / "B.npy", dir / "a.npy", dir / "b.npy",
                                   dir / "c.npy", dir / "missing.npy"});
    CHECK(expand_paths({dir / "[ab].npy", dir / "?.bin"}) ==
          std::vector<std::string>{dir / "a.npy", dir / "b.npy", dir / "z.bin"});
    CHECK(usage_error_of([&] {
              expand_paths({dir / "a.npy", dir / "*.json"});
          }) == "data: glob '" + (dir / "*.json") + "' matches no files");
}

TEST_CASE("instances run across files in order, each file's remainder dropped", "[data]") {
    ScratchDir dir;
    const int64_t seq = 4;
    // 10 tokens -> 2 instances (2 dropped), 3 tokens -> none, 8 tokens -> 2.
    std::vector<uint32_t> first(10), second(3), third(8);
    std::iota(first.begin(), first.end(), 100);
    std::iota(second.begin(), second.end(), 200);
    std::iota(third.begin(), third.end(), 300);
    write_raw(dir / "1.npy", first, TokenDtype::kUint16);
    write_raw(dir / "2.npy", second, TokenDtype::kUint16);
    write_bytes(dir / "3.npy", npy_bytes(npy_dict("<u4", 8), le_bytes(third, 4)));

    const InstanceSource source({dir / "1.npy", dir / "2.npy", dir / "3.npy"}, seq,
                                TokenDtype::kUint16);
    CHECK(source.sequence_length() == 4);
    CHECK(source.num_instances() == 4);
    CHECK(source.num_tokens() == 21);
    CHECK(source.files().size() == 3);
    const std::vector<std::vector<int32_t>> expected = {
        {100, 101, 102, 103}, {104, 105, 106, 107}, {300, 301, 302, 303}, {304, 305, 306, 307}};
    for (int64_t i = 0; i < 4; ++i) {
        std::vector<int32_t> instance(seq);
        source.read_instance(i, instance.data());
        CHECK(instance == expected[i]);
    }
    CHECK(source.locate(1).file == 0);
    CHECK(source.locate(1).offset == 4);
    CHECK(source.locate(2).file == 2);
    CHECK(source.locate(3).offset == 4);
    std::vector<int32_t> out(seq);
    CHECK_THROWS_AS(source.read_instance(4, out.data()), std::out_of_range);
    CHECK_THROWS_AS(source.read_instance(-1, out.data()), std::out_of_range);
}

TEST_CASE("sources and loaders too small for the run are usage errors", "[data]") {
    ScratchDir dir;
    write_raw(dir / "short.npy", std::vector<uint32_t>(255, 1), TokenDtype::kUint16);
    write_raw(dir / "three.npy", std::vector<uint32_t>(3 * 256 + 10, 1), TokenDtype::kUint16);
    CHECK(usage_error_of([&] { InstanceSource({dir / "short.npy"}, 256, TokenDtype::kUint16); }) ==
          "data: no file has a full sequence of 256 tokens");
    CHECK(usage_error_of([&] { InstanceSource({}, 256, TokenDtype::kUint16); }) ==
          "data: no token files given");

    const InstanceSource source({dir / "short.npy", dir / "three.npy"}, 256, TokenDtype::kUint16);
    CHECK(source.num_instances() == 3);
    CHECK(usage_error_of([&] { DataLoader(source, 16, 0, 1, 42); }) ==
          "data: 3 instances of 256 tokens, fewer than one global batch of 16");
    CHECK(usage_error_of([&] { DataLoader(source, 3, 0, 2, 42); }) ==
          "data: a global batch of 3 instances does not split evenly over 2 data-parallel ranks");
    CHECK(usage_error_of([&] { DataLoader(source, 2, 2, 2, 42); }) ==
          "data: rank 2 is outside a data-parallel world of size 2");
    CHECK_NOTHROW(DataLoader(source, 3, 0, 1, 42));
}

TEST_CASE("validation names the file, offset and id of a token outside the vocabulary", "[data]") {
    ScratchDir dir;
    std::vector<uint32_t> ids(40, 3);
    ids[13] = 70;
    ids[20] = 80;
    write_raw(dir / "ok.npy", std::vector<uint32_t>(16, 49), TokenDtype::kUint16);
    write_raw(dir / "bad.npy", ids, TokenDtype::kUint16);
    InstanceSource source({dir / "ok.npy", dir / "bad.npy"}, 8, TokenDtype::kUint16);
    CHECK(usage_error_of([&] { source.validate(50); }) ==
          "data file '" + (dir / "bad.npy") +
              "': token id 70 at offset 13 is not below the vocabulary size 50 (wrong tokenizer "
              "or data.dtype?)");
    CHECK(usage_error_of([&] { source.validate(75); }).find("token id 80 at offset 20") !=
          std::string::npos);
    CHECK_NOTHROW(source.validate(81));
    CHECK(!source.checks_lazily());
}

TEST_CASE("documents: one per EOS, truncated to the sequence, right-padded, the tail dropped",
          "[data]") {
    ScratchDir dir;
    const uint32_t eos = 0, pad = 1;
    // seq 4: a document of 2, one of exactly 4, one of 6 (truncated), then 3 tokens without an
    // EOS (no document); the second file starts with an EOS (a document of one token).
    write_raw(dir / "a.npy", {5, eos, 6, 7, 8, eos, 9, 10, 11, 12, 13, eos, 20, 21, 22},
              TokenDtype::kUint16);
    write_raw(dir / "b.npy", {eos, 30, 31, eos}, TokenDtype::kUint16);
    const DocumentSource docs({dir / "a.npy", dir / "b.npy"}, 4, TokenDtype::kUint16, eos, pad,
                              100);
    REQUIRE(docs.num_documents() == 5);
    const std::vector<std::pair<std::vector<int32_t>, int64_t>> expected = {
        {{5, 0, 1, 1}, 2}, {{6, 7, 8, 0}, 4},   {{9, 10, 11, 12}, 4},
        {{0, 1, 1, 1}, 1}, {{30, 31, 0, 1}, 3},
    };
    for (int64_t i = 0; i < 5; ++i) {
        INFO("document " << i);
        std::vector<int32_t> out(4, -7);
        CHECK(docs.read_document(i, out.data()) == expected[static_cast<size_t>(i)].second);
        CHECK(out == expected[static_cast<size_t>(i)].first);
    }
    std::vector<int32_t> out(4);
    CHECK_THROWS_AS(docs.read_document(5, out.data()), std::out_of_range);
}

TEST_CASE("documents: no EOS and ids outside the vocabulary are usage errors", "[data]") {
    ScratchDir dir;
    write_raw(dir / "none.npy", {4, 5, 6, 7}, TokenDtype::kUint16);
    write_raw(dir / "bad.npy", {4, 0, 60, 0}, TokenDtype::kUint16);
    CHECK(usage_error_of([&] {
              DocumentSource({dir / "none.npy"}, 8, TokenDtype::kUint16, 0, 1, 50);
          }) == "data file '" + (dir / "none.npy") +
                    "': no end-of-document token (id 0), so no document to evaluate (wrong "
                    "tokenizer.eos_token_id?)");
    CHECK(usage_error_of([&] {
              DocumentSource({dir / "bad.npy"}, 8, TokenDtype::kUint16, 0, 1, 50);
          }).find("token id 60 at offset 2 is not below the vocabulary size 50") !=
          std::string::npos);
}

TEST_CASE("validation of a large source is lazy, per instance the loader returns", "[data]") {
    ScratchDir dir;
    // A sparse file (all zeros, no disk blocks) just over the eager limit.
    const int64_t seq = int64_t{1} << 22;
    const int64_t tokens = InstanceSource::kEagerValidationTokens + seq;
    const std::string path = dir / "big.npy";
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, tokens * 2) == 0);
    const uint64_t seed = 7;
    const int64_t n = tokens / seq;
    // A bad id in the instance the loader returns first.
    const int64_t first = shuffled_order(n, seed, 1)[0];
    const int64_t bad_offset = first * seq + 12345;
    const std::string bad_id = le_bytes({60000}, 2);
    REQUIRE(::pwrite(fd, bad_id.data(), 2, bad_offset * 2) == 2);
    ::close(fd);

    InstanceSource source({path}, seq, TokenDtype::kUint16);
    CHECK(source.num_instances() == n);
    source.validate(50000);  // returns at once: too big to scan up front
    CHECK(source.checks_lazily());
    CHECK_NOTHROW(source.check_instance(first == 0 ? 1 : 0));
    const std::string message = "data file '" + path + "': token id 60000 at offset " +
                                std::to_string(bad_offset) +
                                " is not below the vocabulary size 50000 (wrong tokenizer or "
                                "data.dtype?)";
    CHECK(usage_error_of([&] { source.check_instance(first); }) == message);
    DataLoader loader(source, 1, 0, 1, seed);
    std::vector<int32_t> batch;
    CHECK(usage_error_of([&] { loader.next_batch(batch); }) == message);
}

TEST_CASE("the shuffle is a deterministic permutation per seed and epoch", "[data]") {
    const int64_t n = 1000;
    const auto order = shuffled_order(n, 42, 1);
    CHECK(order == shuffled_order(n, 42, 1));
    CHECK(order != shuffled_order(n, 43, 1));
    CHECK(order != shuffled_order(n, 42, 2));
    CHECK(order != shuffled_order(n, 42, 0));
    std::vector<uint32_t> sorted = order, identity(n);
    std::sort(sorted.begin(), sorted.end());
    std::iota(identity.begin(), identity.end(), 0u);
    CHECK(sorted == identity);
    CHECK(order != identity);
    CHECK(shuffled_order(1, 42, 1) == std::vector<uint32_t>{0});
    CHECK(shuffled_order(0, 42, 1).empty());
}

TEST_CASE("golden: the first shuffled order for seed 42 is pinned", "[data]") {
    // Computed independently from the algorithm documented in data_loader.hpp (SplitMix64,
    // Lemire's bounded integers, Fisher-Yates); a change here changes every run's data order.
    CHECK(shuffled_order(16, 42, 1) ==
          std::vector<uint32_t>{12, 2, 8, 11, 7, 9, 3, 10, 4, 13, 0, 6, 5, 15, 14, 1});
    const auto large = shuffled_order(100000, 42, 1);
    CHECK(std::vector<uint32_t>(large.begin(), large.begin() + 8) ==
          std::vector<uint32_t>{17436, 57793, 21989, 11483, 90232, 56041, 27941, 95876});
}

TEST_CASE("ranks take strided columns of every global batch, the tail dropped", "[data]") {
    ScratchDir dir;
    const int64_t seq = 4;
    // 50 instances in three files (with remainders), batches of 8: 6 per epoch, 2 dropped.
    const InstanceSource source(write_numbered_files(dir, {20, 17, 13}, seq, 3), seq,
                                TokenDtype::kUint32);
    REQUIRE(source.num_instances() == 50);

    DataLoader whole(source, 8, 0, 1, 42);
    CHECK(whole.batches_per_epoch() == 6);
    CHECK(whole.global_batch_tokens() == 32);
    CHECK(whole.rank_batch_instances() == 8);
    const auto batches = one_epoch(whole, source);
    const auto order = shuffled_order(50, 42, 1);
    for (int64_t b = 0; b < 6; ++b) {
        CHECK(batches[b] ==
              std::vector<int64_t>(order.begin() + b * 8, order.begin() + (b + 1) * 8));
    }
    const std::set<int64_t> kept(order.begin(), order.begin() + 48);

    for (int64_t dp : {1, 2, 4}) {
        std::set<int64_t> seen;
        int64_t total = 0;
        for (int64_t rank = 0; rank < dp; ++rank) {
            DataLoader loader(source, 8, rank, dp, 42);
            CHECK(loader.rank_batch_instances() == 8 / dp);
            const auto mine = one_epoch(loader, source);
            for (int64_t b = 0; b < 6; ++b) {
                std::vector<int64_t> columns;
                for (int64_t c = rank; c < 8; c += dp)
                    columns.push_back(batches[b][c]);
                CHECK(mine[b] == columns);
                seen.insert(mine[b].begin(), mine[b].end());
                total += static_cast<int64_t>(mine[b].size());
            }
        }
        CHECK(total == 48);  // disjoint: no instance twice
        CHECK(seen == kept);
    }
}

TEST_CASE("epochs follow one another with new orders, and shuffle off keeps file order", "[data]") {
    ScratchDir dir;
    const int64_t seq = 2;
    const InstanceSource source(write_numbered_files(dir, {5, 6}, seq, 1), seq,
                                TokenDtype::kUint32);
    DataLoader loader(source, 4, 0, 1, 42);
    CHECK(loader.epoch() == 1);
    CHECK(loader.epochs_completed() == 0);
    const auto first = one_epoch(loader, source);
    CHECK(loader.epoch() == 1);
    CHECK(loader.epochs_completed() == 1);
    CHECK(loader.state().batches_processed == 2);
    const auto second = one_epoch(loader, source);
    CHECK(loader.epoch() == 2);
    CHECK(first != second);
    const auto order2 = shuffled_order(11, 42, 2);
    CHECK(second[0] == std::vector<int64_t>(order2.begin(), order2.begin() + 4));

    DataLoader plain(source, 4, 1, 2, 42, /*shuffle=*/false);
    const auto in_order = one_epoch(plain, source);
    CHECK(in_order == std::vector<std::vector<int64_t>>{{1, 3}, {5, 7}});
    CHECK(one_epoch(plain, source) == in_order);
}

TEST_CASE("restore continues exactly where the saved loader was", "[data]") {
    ScratchDir dir;
    const int64_t seq = 3;
    const InstanceSource source(write_numbered_files(dir, {9, 14}, seq, 2), seq,
                                TokenDtype::kUint32);
    // 23 instances, batches of 6: 3 per epoch.
    const auto run = [&](DataLoader& loader, int batches) {
        std::vector<std::vector<int32_t>> out;
        std::vector<int32_t> tokens;
        for (int i = 0; i < batches; ++i) {
            loader.next_batch(tokens);
            out.push_back(tokens);
        }
        return out;
    };
    for (int64_t dp : {1, 2}) {
        for (int k : {0, 1, 2, 3, 4, 6, 7}) {
            DataLoader reference(source, 6, dp - 1, dp, 9);
            REQUIRE(reference.batches_per_epoch() == 3);
            run(reference, k);
            const LoaderState saved = reference.state();
            const auto expected = run(reference, 8);  // crosses at least two epoch ends

            DataLoader fresh(source, 6, dp - 1, dp, 9);
            fresh.restore(saved);
            CHECK(fresh.state().epoch == saved.epoch);
            CHECK(run(fresh, 8) == expected);

            // Restoring a loader that has moved on (here: backwards) works the same.
            run(fresh, 5);
            fresh.restore(saved);
            CHECK(run(fresh, 8) == expected);
        }
    }

    // The end of an epoch and the start of the next are the same place.
    DataLoader a(source, 6, 0, 1, 9), b(source, 6, 0, 1, 9);
    a.restore({1, 3});
    b.restore({2, 0});
    CHECK(run(a, 4) == run(b, 4));

    DataLoader loader(source, 6, 0, 1, 9);
    CHECK(usage_error_of([&] {
              loader.restore({0, 0});
          }) ==
          "data loader state: epoch 0, batch 0 is not a place in this data (epochs count from "
          "1; 3 batches per epoch)");
    CHECK_THROWS_AS(loader.restore({1, 4}), UsageError);
    CHECK_THROWS_AS(loader.restore({1, -1}), UsageError);
}
