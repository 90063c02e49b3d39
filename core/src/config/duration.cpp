#include <charconv>
#include <limits>

#include "config/runtime_config.hpp"

namespace cim::core {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::int64_t amount = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
    if (ec != std::errc() || end == text.data() || amount <= 0) return std::nullopt;
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    std::int64_t ms_per_unit = 0;
    if (unit == "ms") ms_per_unit = 1;
    else if (unit == "s") ms_per_unit = 1000;
    else if (unit == "m") ms_per_unit = 60 * 1000;
    else if (unit == "h") ms_per_unit = 60 * 60 * 1000;
    else return std::nullopt;
    // "9999999999999999h" would overflow the milliseconds count into a negative or tiny timeout.
    if (amount > std::numeric_limits<std::int64_t>::max() / ms_per_unit) return std::nullopt;
    return std::chrono::milliseconds(amount * ms_per_unit);
}

}  // namespace cim::core
