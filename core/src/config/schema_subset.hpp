// Whether a plugin's declared config schema stays within the JSON Schema subset cimrt checks options against
// (docs/config-schema.md). A malformed schema is the plugin author's bug, so it is reported as such, by schema
// location, before any operator value is judged by it.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace cim::core {

/// The first defect of `schema`, as "<JSON pointer into the schema>: <problem>" (e.g. "/properties/port/minimum:
/// must be a number"), or nullopt when the validator can use it. Keywords outside the subset are ignored, as JSON
/// Schema ignores unknown keywords.
std::optional<std::string> schema_defect(const nlohmann::json& schema);

}  // namespace cim::core
