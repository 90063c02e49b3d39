#include "config/schema_subset.hpp"

#include "config/key_names.hpp"
#include "config/runtime_config.hpp"

namespace cim::core {
namespace {

bool is_schema_type_name(const std::string& name) {
    return name == "object" || name == "array" || name == "string" || name == "integer" || name == "number" ||
           name == "boolean" || name == "null";
}

// Walks a schema depth first; returns at the first defect so the plugin author fixes one thing at a time.
std::optional<std::string> defect_at(const nlohmann::json& schema, const std::string& pointer) {
    const auto at = [&](const std::string& keyword, const std::string& problem) {
        return std::optional<std::string>((pointer + "/" + keyword) + ": " + problem);
    };
    if (!schema.is_object()) {
        return pointer.empty() ? "the schema must be a JSON object" : pointer + ": a schema must be a JSON object";
    }
    if (schema.contains("type")) {
        const auto& type = schema["type"];
        if (type.is_string()) {
            if (!is_schema_type_name(type.get<std::string>())) return at("type", "unknown type " + type.dump());
        } else if (type.is_array() && !type.empty()) {
            for (const auto& name : type) {
                if (!name.is_string() || !is_schema_type_name(name.get<std::string>())) {
                    return at("type", "unknown type " + name.dump());
                }
            }
        } else {
            return at("type", "must be a type name or a non-empty array of them");
        }
    }
    if (schema.contains("properties")) {
        if (!schema["properties"].is_object()) return at("properties", "must be an object of schemas");
        for (const auto& [key, property] : schema["properties"].items()) {
            if (auto defect = defect_at(property, pointer + "/properties/" + json_pointer_token(key))) return defect;
        }
    }
    if (schema.contains("required")) {
        const auto& required = schema["required"];
        if (!required.is_array()) return at("required", "must be an array of key names");
        for (const auto& key : required) {
            if (!key.is_string()) return at("required", "must be an array of key names");
        }
    }
    if (schema.contains("additionalProperties") && !schema["additionalProperties"].is_boolean()) {
        return at("additionalProperties", "must be true or false (schemas are not supported here)");
    }
    if (schema.contains("enum") && (!schema["enum"].is_array() || schema["enum"].empty())) {
        return at("enum", "must be a non-empty array");
    }
    for (const char* bound : {"minimum", "maximum"}) {
        if (schema.contains(bound) && !schema[bound].is_number()) return at(bound, "must be a number");
    }
    if (schema.contains("minLength") && !(schema["minLength"].is_number_integer() && schema["minLength"] >= 0)) {
        return at("minLength", "must be a non-negative integer");
    }
    if (schema.contains("items")) {
        if (auto defect = defect_at(schema["items"], pointer + "/items")) return defect;
    }
    if (schema.contains("format") && !schema["format"].is_string()) return at("format", "must be a string");
    // A default is what the plugin gets when the operator writes nothing: it must obey its own schema, or the plugin
    // fails later on a value nobody wrote (a duration default it cannot parse).
    if (schema.contains("default") && schema.value("format", "") == "duration") {
        const auto& value = schema["default"];
        if (!value.is_string() || !parse_duration(value.get<std::string>())) {
            return at("default", "must be a duration like \"90s\" or \"10m\" (its format is \"duration\"), not " +
                                     value.dump());
        }
    }
    if (schema.contains("description") && !schema["description"].is_string()) return at("description", "must be a string");
    return std::nullopt;
}

}  // namespace

std::optional<std::string> schema_defect(const nlohmann::json& schema) {
    if (auto defect = defect_at(schema, "")) return defect;
    // The root describes the [plugins.<name>] table itself, which is always a table.
    if (schema.contains("type") && schema["type"] != "object") return std::string("/type: the root schema must be of type \"object\"");
    return std::nullopt;
}

}  // namespace cim::core
