#include <charconv>

#include "config/runtime_config.hpp"

namespace cim::core {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::int64_t amount = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
    if (ec != std::errc() || end == text.data() || amount <= 0) return std::nullopt;
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    if (unit == "ms") return std::chrono::milliseconds(amount);
    if (unit == "s") return std::chrono::seconds(amount);
    if (unit == "m") return std::chrono::minutes(amount);
    if (unit == "h") return std::chrono::hours(amount);
    return std::nullopt;
}

}  // namespace cim::core
