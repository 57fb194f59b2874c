#include "io/tfevents.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "util/crc32c.hpp"
#include "util/error.hpp"

namespace ladder::io {

namespace {

// Protocol buffer wire format (protobuf.dev/programming-guides/encoding): each field is a
// varint key (field number << 3 | wire type) followed by its payload.
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7F) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

void put_little_endian(std::string& out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void put_key(std::string& out, uint32_t field, WireType type) {
    put_varint(out, (field << 3) | type);
}

void put_double(std::string& out, uint32_t field, double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    put_key(out, field, kFixed64);
    put_little_endian(out, bits, 8);
}

void put_float(std::string& out, uint32_t field, float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    put_key(out, field, kFixed32);
    put_little_endian(out, bits, 4);
}

void put_int64(std::string& out, uint32_t field, int64_t value) {
    put_key(out, field, kVarint);
    put_varint(out, static_cast<uint64_t>(value));
}

void put_bytes(std::string& out, uint32_t field, std::string_view bytes) {
    put_key(out, field, kLengthDelimited);
    put_varint(out, bytes.size());
    out.append(bytes);
}

// Field numbers of event.proto and summary.proto.
constexpr uint32_t kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5,
                   kEventSessionLog = 7;
constexpr uint32_t kSessionLogStatus = 1;
constexpr int64_t kSessionStart = 1;  // SessionLog.SessionStatus.START
constexpr uint32_t kSummaryValue = 1;
constexpr uint32_t kValueTag = 1, kValueSimpleValue = 2;

double seconds_since_epoch() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0)
        return "localhost";
    return name;
}

// events.out.tfevents.<10-digit unix seconds>.<host>.<pid>.<n>, as event_file_writer.py;
// n counts the files this process opened, so two opened within a second differ.
std::string event_file_name() {
    static std::atomic<int> files_opened{0};
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%010lld",
                  static_cast<long long>(seconds_since_epoch()));
    return std::string("events.out.tfevents.") + seconds + "." + host_name() + "." +
           std::to_string(getpid()) + "." + std::to_string(files_opened++);
}

}  // namespace

uint32_t masked_crc32c(std::string_view bytes) {
    const uint32_t crc = crc32c(bytes);
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

EventFileWriter::EventFileWriter(const std::string& folder) {
    std::filesystem::create_directories(folder);
    path_ = (std::filesystem::path(folder) / event_file_name()).string();
    out_.open(path_, std::ios::binary);
    if (!out_)
        throw UsageError("cannot write '" + path_ + "'");
    std::string event;
    put_double(event, kEventWallTime, seconds_since_epoch());
    put_bytes(event, kEventFileVersion, "brain.Event:2");
    write_record(event);
}

void EventFileWriter::write_session_start(int64_t step) {
    std::string session_log;
    put_int64(session_log, kSessionLogStatus, kSessionStart);
    std::string event;
    put_double(event, kEventWallTime, seconds_since_epoch());
    put_int64(event, kEventStep, step);
    put_bytes(event, kEventSessionLog, session_log);
    write_record(event);
    out_.flush();
}

void EventFileWriter::write_scalars(int64_t step, const std::vector<Scalar>& scalars) {
    std::string summary;
    for (const Scalar& scalar : scalars) {
        std::string value;
        put_bytes(value, kValueTag, scalar.tag);
        put_float(value, kValueSimpleValue, scalar.value);
        put_bytes(summary, kSummaryValue, value);
    }
    std::string event;
    put_double(event, kEventWallTime, seconds_since_epoch());
    put_int64(event, kEventStep, step);
    put_bytes(event, kEventSummary, summary);
    write_record(event);
}

// A TFRecord: uint64 length, masked CRC of those 8 bytes, the data, masked CRC of the data;
// all little-endian.
void EventFileWriter::write_record(const std::string& data) {
    std::string length;
    put_little_endian(length, data.size(), 8);
    std::string record = length;
    put_little_endian(record, masked_crc32c(length), 4);
    record += data;
    put_little_endian(record, masked_crc32c(data), 4);
    out_.write(record.data(), static_cast<std::streamsize>(record.size()));
    out_.flush();
    if (!out_)
        throw std::runtime_error("cannot write '" + path_ + "'");
}

}  // namespace ladder::io
