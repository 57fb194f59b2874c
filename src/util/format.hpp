// Number and text formatting shared by every command's output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ladder {

// OLMo-core's format_int: one decimal and a K/M/B/T suffix, ".0" dropped:
// 190354176 -> "190.4M", 1279395840 -> "1.3B", 4096 -> "4.1K", 999 -> "999".
std::string format_count(double n);

// The inverse of format_count, as OLMo-core's TransformerSize.approx_num_params reads a
// size name: a finite number > 0 with an optional K, M, B or T suffix ("190M" -> 1.9e8,
// "1.5K" -> 1500, "1e23" -> 1e23); nullopt for anything else.
std::optional<double> parse_count(const std::string& text);

// "3.8B tokens"
std::string format_tokens(double n);

// Thousands separators: 478126 -> "478,126".
std::string with_commas(int64_t n);

// Shortest decimal text that reads back as exactly `x` ("0.1", "1e-05", "4").
std::string shortest_number(double x);

// OLMo-core's format_float for metric values: 4 decimals below 1, 3 below 10, 2 below
// 100, 1 below 1000, commas from 1000, "1.23E-05" below 1e-4, K-free B/T/P/E above 1e9.
std::string format_metric(double value);

// OLMo-core's format_timedelta without separators: "1d2h3m4s", "0s".
std::string format_duration(double seconds);

// Python's repr of a float: 4.0 -> "4.0", 0.5 -> "0.5", 1e-05 -> "1e-05".
std::string python_float(double x);

// Python's f"{x:.{digits}f}" / f"{x:.{digits}e}"
std::string fixed(double x, int digits);
std::string scientific(double x, int digits);

// Bytes in GiB with `digits` decimals: "12.3 GiB".
std::string format_gib(double bytes, int digits = 1);

bool ends_with(const std::string& text, const std::string& suffix);

// The items with `separator` between them: join({"a", "b"}, ", ") -> "a, b".
std::string join(const std::vector<std::string>& items, const std::string& separator);

// The first line of a message (LibTorch's and Gloo's carry stack traces after it).
std::string first_line(const std::string& text);

// A LibTorch error's message without the C++ backtrace that follows it (the message itself
// may span lines, as a CUDA out-of-memory one does).
std::string without_backtrace(const std::string& what);

// An error message as the single line the user sees: line breaks become "; ", and past
// `limit` bytes long quoted values, then the middle, are cut to "…". The default leaves
// room for the "ladder: error: " prefix within 300 bytes.
constexpr size_t kMaxMessageBytes = 280;
std::string one_line_message(const std::string& message, size_t limit = kMaxMessageBytes);

}  // namespace ladder
