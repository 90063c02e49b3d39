// Durations of the plugins' own options. The runtime has checked them ("format": "duration" in the schema), so a
// failure here means a plugin read a key its schema does not declare as a duration.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include <cim/duration.hpp>

namespace cim::common {

/// "30s" → 30000 ms. @throws std::invalid_argument naming `text` when it is not a duration.
inline std::chrono::milliseconds parse_duration(std::string_view text) {
    if (const auto duration = cim::parse_duration(text)) return *duration;
    throw std::invalid_argument("'" + std::string(text) + "' is not a duration like 250ms, 30s, 10m or 2h");
}

}  // namespace cim::common
