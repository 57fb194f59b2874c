// TensorBoard event files, checked by a reader written here from the format (TFRecord
// framing, CRC-32C, protobuf wire format) independently of the writer: its own bitwise
// CRC and its own field parser.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "e2e/run_ladder.hpp"
#include "io/tfevents.hpp"
#include "train/tensorboard_logger.hpp"
#include "util/crc32c.hpp"

using ladder::test::TempDir;
using ladder::train::Metrics;
using ladder::train::TensorBoardLogger;
using ladder::train::TrainProgress;

namespace {

// CRC-32C one bit at a time (RFC 3720 appendix B.4: reflected polynomial 0x82F63B78).
uint32_t bitwise_crc32c(const std::string& bytes) {
    uint32_t crc = 0xFFFFFFFFu;
    for (const char c : bytes) {
        crc ^= static_cast<uint8_t>(c);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

uint32_t masked(uint32_t crc) {
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

uint64_t little_endian(const std::string& bytes, size_t offset, size_t size) {
    if (offset + size > bytes.size())
        throw std::runtime_error("truncated");
    uint64_t value = 0;
    for (size_t i = 0; i < size; ++i)
        value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[offset + i])) << (8 * i);
    return value;
}

// The data of each TFRecord: uint64 length, masked CRC of the length, data, masked CRC of
// the data. Throws on a bad CRC or a truncated record.
std::vector<std::string> read_records(const std::string& file) {
    std::vector<std::string> records;
    size_t at = 0;
    while (at < file.size()) {
        const std::string length_bytes = file.substr(at, 8);
        const uint64_t length = little_endian(file, at, 8);
        if (little_endian(file, at + 8, 4) != masked(bitwise_crc32c(length_bytes)))
            throw std::runtime_error("length CRC mismatch");
        if (at + 12 + length + 4 > file.size())
            throw std::runtime_error("truncated");
        const std::string data = file.substr(at + 12, length);
        if (little_endian(file, at + 12 + length, 4) != masked(bitwise_crc32c(data)))
            throw std::runtime_error("data CRC mismatch");
        records.push_back(data);
        at += 12 + length + 4;
    }
    return records;
}

struct Field {
    uint32_t number = 0;
    uint32_t wire_type = 0;
    uint64_t scalar = 0;  // varint, fixed64 or fixed32 payload
    std::string bytes;    // length-delimited payload
};

uint64_t read_varint(const std::string& bytes, size_t& at) {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (at >= bytes.size())
            throw std::runtime_error("truncated varint");
        const uint8_t byte = static_cast<uint8_t>(bytes[at++]);
        value |= static_cast<uint64_t>(byte & 0x7F) << shift;
        if (!(byte & 0x80))
            return value;
    }
    throw std::runtime_error("varint too long");
}

// The fields of one protobuf message, in order (wire types 0, 1, 2 and 5).
std::vector<Field> parse_message(const std::string& bytes) {
    std::vector<Field> fields;
    size_t at = 0;
    while (at < bytes.size()) {
        const uint64_t key = read_varint(bytes, at);
        Field field;
        field.number = static_cast<uint32_t>(key >> 3);
        field.wire_type = static_cast<uint32_t>(key & 7);
        switch (field.wire_type) {
            case 0:
                field.scalar = read_varint(bytes, at);
                break;
            case 1:
                field.scalar = little_endian(bytes, at, 8);
                at += 8;
                break;
            case 5:
                field.scalar = little_endian(bytes, at, 4);
                at += 4;
                break;
            case 2: {
                const uint64_t size = read_varint(bytes, at);
                if (at + size > bytes.size())
                    throw std::runtime_error("truncated field");
                field.bytes = bytes.substr(at, size);
                at += size;
                break;
            }
            default:
                throw std::runtime_error("unexpected wire type");
        }
        fields.push_back(field);
    }
    return fields;
}

struct Event {
    double wall_time = 0;
    int64_t step = 0;
    std::optional<std::string> file_version;
    std::vector<std::pair<std::string, float>> values;  // Summary.value: tag, simple_value
    std::optional<int64_t> session_status;              // SessionLog.status (START = 1)
};

std::pair<std::string, float> decode_value(const std::string& bytes) {
    std::pair<std::string, float> value{"", std::numeric_limits<float>::quiet_NaN()};
    for (const Field& f : parse_message(bytes)) {
        if (f.number == 1 && f.wire_type == 2) {
            value.first = f.bytes;
        } else if (f.number == 2 && f.wire_type == 5) {
            const auto bits = static_cast<uint32_t>(f.scalar);
            std::memcpy(&value.second, &bits, sizeof bits);
        } else {
            throw std::runtime_error("unexpected Summary.Value field");
        }
    }
    return value;
}

// event.proto: wall_time = 1 (double), step = 2 (int64), file_version = 3, summary = 5;
// summary.proto: Summary.value = 1, Value.tag = 1, Value.simple_value = 2 (float).
Event decode_event(const std::string& bytes) {
    Event event;
    for (const Field& f : parse_message(bytes)) {
        if (f.number == 1 && f.wire_type == 1) {
            std::memcpy(&event.wall_time, &f.scalar, sizeof event.wall_time);
        } else if (f.number == 2 && f.wire_type == 0) {
            event.step = static_cast<int64_t>(f.scalar);
        } else if (f.number == 3 && f.wire_type == 2) {
            event.file_version = f.bytes;
        } else if (f.number == 5 && f.wire_type == 2) {
            for (const Field& v : parse_message(f.bytes)) {
                if (v.number != 1 || v.wire_type != 2)
                    throw std::runtime_error("unexpected Summary field");
                event.values.push_back(decode_value(v.bytes));
            }
        } else if (f.number == 7 && f.wire_type == 2) {  // session_log: SessionLog
            for (const Field& s : parse_message(f.bytes)) {
                if (s.number != 1 || s.wire_type != 0)
                    throw std::runtime_error("unexpected SessionLog field");
                event.session_status = static_cast<int64_t>(s.scalar);
            }
        } else {
            throw std::runtime_error("unexpected Event field");
        }
    }
    return event;
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

std::vector<std::string> files_in(const std::string& folder) {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

double now_seconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

Metrics metrics_at(int64_t step) {
    return {{"train/CE loss", 4.0 - 0.25 * step},
            {"optim/LR group 0", 1e-3 * step},
            {"train/PPL", std::exp(4.0 - 0.25 * step)},
            {"diverged", std::numeric_limits<double>::quiet_NaN()}};
}

TrainProgress at_step(int64_t step) {
    TrainProgress progress;
    progress.step = step;
    progress.max_steps = 100;
    progress.tokens_seen = 4096 * step;
    return progress;
}

// Steps first..last through a TensorBoardLogger writing into `run_folder`.
void log_steps(const std::string& run_folder, int64_t first, int64_t last) {
    TensorBoardLogger logger(run_folder);
    logger.pre_train(at_step(first - 1));
    for (int64_t step = first; step <= last; ++step)
        logger.log_metrics(at_step(step), metrics_at(step));
    logger.post_train(at_step(last));
}

}  // namespace

TEST_CASE("crc32c gives the published check value", "[tfevents]") {
    CHECK(ladder::crc32c("123456789") == 0xE3069283u);
    CHECK(bitwise_crc32c("123456789") == 0xE3069283u);
    CHECK(ladder::crc32c("") == 0u);
    std::string every_byte;
    for (int b = 0; b < 256; ++b)
        every_byte.push_back(static_cast<char>(b));
    CHECK(ladder::crc32c(every_byte) == bitwise_crc32c(every_byte));
    CHECK(ladder::io::masked_crc32c(every_byte) == masked(bitwise_crc32c(every_byte)));
}

TEST_CASE("TensorBoardLogger writes a file TensorBoard can read, record by record", "[tfevents]") {
    TempDir dir;
    const double before = now_seconds();
    log_steps(dir.path, 1, 3);
    const double after = now_seconds();

    const std::vector<std::string> files = files_in(dir / "tensorboard");
    REQUIRE(files.size() == 1);
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::smatch name;
    const std::string file_name = std::filesystem::path(files[0]).filename().string();
    REQUIRE(std::regex_match(file_name, name,
                             std::regex(R"(events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+))")));
    CHECK(std::stod(name[1]) >= std::floor(before));
    CHECK(std::stod(name[1]) <= after);
    CHECK(name[2] == std::string(host));
    CHECK(name[3] == std::to_string(getpid()));

    const std::vector<std::string> records = read_records(read_bytes(files[0]));
    REQUIRE(records.size() == 4);
    const Event version = decode_event(records[0]);
    CHECK(version.file_version == std::string("brain.Event:2"));
    CHECK(version.values.empty());
    CHECK(version.wall_time >= before);
    CHECK(version.wall_time <= after);

    double previous_wall_time = version.wall_time;
    for (int64_t step = 1; step <= 3; ++step) {
        const Event event = decode_event(records[step]);
        CHECK_FALSE(event.file_version);
        CHECK(event.step == step);
        CHECK(event.wall_time >= previous_wall_time);
        CHECK(event.wall_time <= after);
        previous_wall_time = event.wall_time;
        const Metrics m = metrics_at(step);
        const std::vector<std::pair<std::string, float>> expected = {
            {"tokens", static_cast<float>(4096 * step)},
            {"optim/LR group 0", static_cast<float>(m.at("optim/LR group 0"))},
            {"train/CE loss", static_cast<float>(m.at("train/CE loss"))},
            {"train/PPL", static_cast<float>(m.at("train/PPL"))}};
        CHECK(event.values == expected);  // "diverged" (NaN) is left out
    }
}

TEST_CASE("each step's event is on disk as soon as it is logged", "[tfevents]") {
    TempDir dir;
    TensorBoardLogger logger(dir.path);
    logger.pre_train(at_step(0));
    logger.log_metrics(at_step(1), metrics_at(1));
    const std::string path = files_in(dir / "tensorboard").at(0);
    CHECK(read_records(read_bytes(path)).size() == 2);  // the file version, step 1
    logger.log_metrics(at_step(2), metrics_at(2));
    CHECK(read_records(read_bytes(path)).size() == 3);
}

TEST_CASE("the test reader detects a corrupted byte", "[tfevents]") {
    TempDir dir;
    log_steps(dir.path, 1, 2);
    const std::string path = files_in(dir / "tensorboard").at(0);
    const std::string good = read_bytes(path);
    REQUIRE(read_records(good).size() == 3);

    const size_t second_record = 12 + read_records(good)[0].size() + 4;
    std::string bad_data = good;
    bad_data[second_record + 12 + 3] ^= 0x01;
    write_bytes(path, bad_data);
    CHECK_THROWS_WITH(read_records(read_bytes(path)), "data CRC mismatch");

    std::string bad_length = good;
    bad_length[second_record] ^= 0x01;
    write_bytes(path, bad_length);
    CHECK_THROWS_WITH(read_records(read_bytes(path)), "length CRC mismatch");
}

TEST_CASE("a resumed run writes a new event file that purges the steps it logs again",
          "[tfevents]") {
    TempDir dir;
    log_steps(dir.path, 1, 3);
    const std::string first = files_in(dir / "tensorboard").at(0);
    const std::string first_bytes = read_bytes(first);
    log_steps(dir.path, 3, 5);  // resumed from a checkpoint of step 2

    const std::vector<std::string> files = files_in(dir / "tensorboard");
    REQUIRE(files.size() == 2);
    CHECK(read_bytes(first) == first_bytes);
    const std::string second = files[0] == first ? files[1] : files[0];
    const std::vector<std::string> records = read_records(read_bytes(second));
    REQUIRE(records.size() == 5);
    CHECK(decode_event(records[0]).file_version == std::string("brain.Event:2"));
    // SessionLog START at the first step logged again: TensorBoard drops older events from
    // step 3 on, so step 3 of the first file is not shown twice.
    const Event purge = decode_event(records[1]);
    CHECK(purge.session_status == 1);
    CHECK(purge.step == 3);
    CHECK(purge.values.empty());
    CHECK(decode_event(records[2]).step == 3);
    CHECK(decode_event(records[4]).step == 5);
    CHECK_FALSE(decode_event(records[2]).session_status);
}

TEST_CASE("a run that logs no step leaves no event file", "[tfevents]") {
    TempDir dir;
    TensorBoardLogger logger(dir.path);
    TrainProgress finished;
    finished.step = 10;
    logger.pre_train(finished);
    logger.post_train(finished);
    CHECK_FALSE(std::filesystem::exists(dir / "tensorboard"));
}
