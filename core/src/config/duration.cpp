#include <cim/duration.hpp>

#include "config/runtime_config.hpp"

namespace cim::core {

// One format for the runtime's own durations and the plugins' ("format": "duration"): the SDK's.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) { return cim::parse_duration(text); }

}  // namespace cim::core
