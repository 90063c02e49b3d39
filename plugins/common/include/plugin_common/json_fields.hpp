// Reading fields of payloads the plugins did not write: an event's `data` may come from any publisher (another
// plugin, an operator's `cimrt publish`), so a missing or mistyped field reads as empty instead of throwing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cim::common {

/// `object[key]` when `object` is an object and that member is a string; "" otherwise.
inline std::string string_at(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) return {};
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// `object[key]` when `object` is an object and that member is an object; an empty object otherwise.
inline const nlohmann::json& object_at(const nlohmann::json& object, const char* key) {
    static const nlohmann::json empty = nlohmann::json::object();
    if (!object.is_object()) return empty;
    const auto it = object.find(key);
    return it != object.end() && it->is_object() ? *it : empty;
}

}  // namespace cim::common
