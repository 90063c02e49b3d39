// Durations as operators write them in runtime.toml ("250ms", "30s", "10m", "2h"); the runtime has already checked
// the format (schema `"format": "duration"`), so this only converts.
#pragma once

#include <chrono>
#include <string_view>

namespace cim::common {

/// "30s" → 30000 ms. @throws std::invalid_argument naming `text` when it is not a positive integer plus ms|s|m|h.
std::chrono::milliseconds parse_duration(std::string_view text);

}  // namespace cim::common
