#include "util/format.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace ladder {

namespace {

// OLMo-core's count suffixes (format_int, TransformerSize), largest first.
struct CountUnit {
    double scale;
    const char* suffix;
};
constexpr CountUnit kCountUnits[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};

}  // namespace

std::string format_count(double n) {
    for (const auto& unit : kCountUnits) {
        if (std::fabs(n) >= unit.scale) {
            std::string text = fixed(n / unit.scale, 1);
            if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) {
                text.resize(text.size() - 2);
            }
            return text + unit.suffix;
        }
    }
    return std::to_string(static_cast<int64_t>(n));
}

std::string format_tokens(double n) {
    return format_count(n) + " tokens";
}

std::string with_commas(int64_t n) {
    // Through unsigned, so that the most negative value has a magnitude too.
    const uint64_t magnitude = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
    const std::string digits = std::to_string(magnitude);
    const size_t lead = digits.size() % 3 == 0 ? 3 : digits.size() % 3;
    std::string out = digits.substr(0, lead);
    for (size_t i = lead; i < digits.size(); i += 3)
        out += "," + digits.substr(i, 3);
    return n < 0 ? "-" + out : out;
}

std::string shortest_number(double x) {
    if (std::isnan(x))
        return "nan";
    if (std::isinf(x))
        return x > 0 ? "inf" : "-inf";
    char buffer[64];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buffer, sizeof buffer, "%.*g", precision, x);
        if (std::strtod(buffer, nullptr) == x)
            break;
    }
    return buffer;
}

std::string python_float(double x) {
    if (!std::isfinite(x))
        return shortest_number(x);
    // Shortest round-trip digits, then Python's layout: positional for exponents in
    // [-4, 16), scientific otherwise.
    char buffer[64];
    for (int precision = 0; precision <= 16; ++precision) {
        std::snprintf(buffer, sizeof buffer, "%.*e", precision, x);
        if (std::strtod(buffer, nullptr) == x)
            break;
    }
    const std::string text = buffer;
    const size_t e = text.find('e');
    const int exponent = std::atoi(text.c_str() + e + 1);
    std::string digits;
    for (size_t i = 0; i < e; ++i) {
        if (std::isdigit(static_cast<unsigned char>(text[i])))
            digits += text[i];
    }
    const std::string sign = std::signbit(x) ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
        std::string mantissa = digits.substr(0, 1);
        if (digits.size() > 1)
            mantissa += "." + digits.substr(1);
        char exp_text[16];
        std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+',
                      std::abs(exponent));
        return sign + mantissa + exp_text;
    }
    if (exponent < 0)
        return sign + "0." + std::string(-exponent - 1, '0') + digits;
    const size_t integer_digits = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= integer_digits) {
        return sign + digits + std::string(integer_digits - digits.size(), '0') + ".0";
    }
    return sign + digits.substr(0, integer_digits) + "." + digits.substr(integer_digits);
}

std::string format_metric(double value) {
    if (std::isnan(value))
        return "nan";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    const double magnitude = std::fabs(value);
    if (magnitude == 0.0)
        return "0.0";
    const auto decimals_for = [](double scaled) {
        return scaled > 100 ? 1 : scaled > 10 ? 2 : scaled > 1 ? 3 : 4;
    };
    if (magnitude >= 1e9) {
        struct Unit {
            double factor;
            const char* suffix;
        };
        for (const Unit& unit :
             {Unit{1e18, "E"}, Unit{1e15, "P"}, Unit{1e12, "T"}, Unit{1e9, "B"}}) {
            if (magnitude < unit.factor)
                continue;
            const double scaled = value / unit.factor;
            const int decimals = decimals_for(std::fabs(scaled));
            const std::string text = fixed(scaled, decimals);
            const size_t dot = text.find('.');
            const auto whole = static_cast<int64_t>(std::stoll(text.substr(0, dot)));
            return (scaled < 0 && whole == 0 ? "-" : "") + with_commas(whole) + text.substr(dot) +
                   unit.suffix;
        }
    }
    if (magnitude < 1e-4) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.2E", value);
        return buffer;
    }
    if (magnitude >= 1000)
        return with_commas(static_cast<int64_t>(value));
    return fixed(value, decimals_for(magnitude));
}

std::string format_duration(double seconds) {
    auto total = static_cast<int64_t>(seconds);
    if (total < 0)
        total = 0;
    const int64_t days = total / 86400, hours = total % 86400 / 3600;
    const int64_t minutes = total % 3600 / 60, secs = total % 60;
    std::string out;
    if (days > 0)
        out += std::to_string(days) + "d";
    if (hours > 0)
        out += std::to_string(hours) + "h";
    if (minutes > 0)
        out += std::to_string(minutes) + "m";
    if (secs > 0)
        out += std::to_string(secs) + "s";
    return out.empty() ? "0s" : out;
}

std::string fixed(double x, int digits) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, x);
    return buffer;
}

std::string scientific(double x, int digits) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*e", digits, x);
    return buffer;
}

std::string format_gib(double bytes, int digits) {
    return fixed(bytes / (int64_t{1} << 30), digits) + " GiB";
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::optional<double> parse_count(const std::string& text) {
    if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.'))
        return std::nullopt;
    size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    const std::string suffix = text.substr(used);
    double scale = suffix.empty() ? 1 : 0;
    for (const auto& unit : kCountUnits) {
        if (suffix == unit.suffix)
            scale = unit.scale;
    }
    if (scale == 0 || !(value > 0) || !std::isfinite(value))
        return std::nullopt;
    return value * scale;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
    std::string text;
    for (size_t i = 0; i < items.size(); ++i)
        text += (i == 0 ? "" : separator) + items[i];
    return text;
}

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

std::string without_backtrace(const std::string& what) {
    return what.substr(0, what.find("\nException raised from "));
}

namespace {

const std::string kEllipsis = "\u2026";

// The nearest position at or before `at` that starts a UTF-8 character.
size_t char_start(const std::string& text, size_t at) {
    while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80)
        --at;
    return at;
}

// `text` with its middle replaced by "…" so that it keeps `head` and `tail` bytes.
std::string cut_middle(const std::string& text, size_t head, size_t tail) {
    if (text.size() <= head + tail + kEllipsis.size())
        return text;
    const size_t head_end = char_start(text, head);
    const size_t tail_start = char_start(text, text.size() - tail);
    return text.substr(0, head_end) + kEllipsis + text.substr(tail_start);
}

}  // namespace

std::string one_line_message(const std::string& message, size_t limit) {
    std::string line;
    for (size_t start = 0; start < message.size();) {
        const size_t end = std::min(message.find('\n', start), message.size());
        if (end > start)
            line += (line.empty() ? "" : "; ") + message.substr(start, end - start);
        start = end + 1;
    }
    if (line.size() <= limit)
        return line;
    // Values echoed in quotes ('...') are what grows without bound: a 10 MB argument.
    std::string shortened;
    size_t at = 0;
    while (at < line.size()) {
        const size_t open = line.find('\'', at);
        const size_t close = open == std::string::npos ? open : line.find('\'', open + 1);
        if (close == std::string::npos) {
            shortened += line.substr(at);
            break;
        }
        shortened += line.substr(at, open + 1 - at) +
                     cut_middle(line.substr(open + 1, close - open - 1), 48, 16) + "'";
        at = close + 1;
    }
    return cut_middle(shortened, limit * 2 / 3, limit / 3 - kEllipsis.size());
}

}  // namespace ladder
