#include "plugin_common/duration.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace cim::common {

std::chrono::milliseconds parse_duration(std::string_view text) {
    long long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    if (error == std::errc() && value > 0) {
        if (unit == "ms") return std::chrono::milliseconds(value);
        if (unit == "s") return std::chrono::seconds(value);
        if (unit == "m") return std::chrono::minutes(value);
        if (unit == "h") return std::chrono::hours(value);
    }
    throw std::invalid_argument("'" + std::string(text) + "' is not a duration like 250ms, 30s, 10m or 2h");
}

}  // namespace cim::common
