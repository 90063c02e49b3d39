// Times as `cimrt` prints and reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cim::cli {

/// "2026-11-25T06:01:02.123Z" (UTC).
std::string format_timestamp(std::int64_t ms_since_epoch);

/// Reads a point in time: ms since the epoch ("1764050462123"), an ISO 8601 UTC time ("2026-11-25T06:01:02Z",
/// fractional seconds allowed), or a duration ago ("10m", "2h", "90s", "1d"). nullopt when malformed.
std::optional<std::int64_t> parse_time(std::string_view text, std::int64_t now_ms);

/// Reads a length of time in ms: "500ms", "20s", "2m", "1h", "1d" (a whole number and a unit). nullopt when malformed.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

}  // namespace cim::cli
