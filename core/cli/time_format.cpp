#include "time_format.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace cim::cli {

std::string format_timestamp(std::int64_t ms) {
    // Floor division: a time before 1970 is the second before plus a non-negative millisecond part.
    std::int64_t millis = ms % 1000;
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    if (millis < 0) {
        millis += 1000;
        --seconds;
    }
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[80];  // room for any int in every field: no truncation, and -Wformat-truncation can prove it
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
    return buffer;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || ec != std::errc() || number < 0) return std::nullopt;
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    if (unit == "ms") return number;
    if (unit == "s") return number * 1000;
    if (unit == "m") return number * 60'000;
    if (unit == "h") return number * 3'600'000;
    if (unit == "d") return number * 86'400'000;
    return std::nullopt;
}

std::optional<std::int64_t> parse_time(std::string_view text, std::int64_t now_ms) {
    if (text.empty()) return std::nullopt;
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || number < 0) return std::nullopt;
    const std::string_view rest(end, static_cast<std::size_t>(text.data() + text.size() - end));
    if (rest.empty()) return number;  // ms since the epoch
    if (const auto ago = parse_duration_ms(text)) return now_ms - *ago;

    std::tm utc{};
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
    const std::string copy(text);
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second,
                    &consumed) != 6) {
        return std::nullopt;
    }
    std::string_view tail = std::string_view(copy).substr(static_cast<std::size_t>(consumed));
    int millis = 0;
    if (!tail.empty() && tail.front() == '.') {
        tail.remove_prefix(1);
        int digits = 0;
        while (!tail.empty() && tail.front() >= '0' && tail.front() <= '9') {
            if (digits < 3) millis = millis * 10 + (tail.front() - '0');
            ++digits;
            tail.remove_prefix(1);
        }
        for (; digits < 3; ++digits) millis *= 10;
    }
    if (tail != "Z" && !tail.empty()) return std::nullopt;  // UTC only: no offsets to get wrong
    utc.tm_year = year - 1900;
    utc.tm_mon = month - 1;
    utc.tm_mday = day;
    utc.tm_hour = hour;
    utc.tm_min = minute;
    utc.tm_sec = second;
    return static_cast<std::int64_t>(timegm(&utc)) * 1000 + millis;
}

}  // namespace cim::cli
