// cim/duration.hpp — durations as runtime.toml writes them: "250ms", "90s", "10m", "2h".
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace cim {

/**
 * Parses a duration in the one format the runtime knows: a positive integer followed by `ms`, `s`, `m` or `h`.
 *
 * A plugin's config schema declares such an option with `"format": "duration"`; the runtime rejects a malformed one
 * (at its file:line:column) before the plugin is created, so a plugin reading its own config can rely on the result.
 * The runtime reads its own durations ([sessions] customer_inactivity_timeout) with this same function.
 *
 * @returns the duration, or std::nullopt when `text` is not in the format or would overflow the milliseconds count.
 * Thread-safe; allocates nothing.
 *
 *     const auto timeout = cim::parse_duration(config()["timeout"].get<std::string>()).value();
 */
[[nodiscard]] inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept {
    std::int64_t amount = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), amount);
    if (error != std::errc() || end == text.data() || amount <= 0) return std::nullopt;
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    std::int64_t ms_per_unit = 0;
    if (unit == "ms") {
        ms_per_unit = 1;
    } else if (unit == "s") {
        ms_per_unit = 1000;
    } else if (unit == "m") {
        ms_per_unit = 60 * 1000;
    } else if (unit == "h") {
        ms_per_unit = 60 * 60 * 1000;
    } else {
        return std::nullopt;
    }
    // "9999999999999999h" would overflow into a negative or tiny duration.
    if (amount > std::numeric_limits<std::int64_t>::max() / ms_per_unit) return std::nullopt;
    return std::chrono::milliseconds(amount * ms_per_unit);
}

}  // namespace cim
