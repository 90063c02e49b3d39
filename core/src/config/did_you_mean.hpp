// "Did you mean ...?" for a mistyped key or value: the operator's typo is one edit away from a known name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cim::core {

/// The candidate closest to `given` when it is close enough to be the intended one (edit distance ≤ 2, or equal
/// ignoring case); nullopt otherwise.
std::optional<std::string> closest_match(std::string_view given, const std::vector<std::string>& candidates);

}  // namespace cim::core
