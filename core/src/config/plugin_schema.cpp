// The JSON Schema subset plugins declare their options with (docs/config-schema.md). No Debian package offers a
// C++ JSON Schema validator, and a plugin's options need only this much: types, properties, required, enums,
// bounds, items, defaults and durations.
#include <set>

#include "config/did_you_mean.hpp"
#include "config/runtime_config.hpp"

namespace cim::core {
namespace {

class SchemaChecker {
public:
    SchemaChecker(PluginSection& plugin) : plugin_(plugin) {}

    void check(const nlohmann::json& schema, nlohmann::json& value, const std::string& pointer, const std::string& path,
               bool root) {
        check_type(schema, value, pointer, path);
        if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
            std::string problem = "expected one of " + schema["enum"].dump() + ", got " + value.dump();
            if (value.is_string()) {
                std::vector<std::string> names;
                for (const auto& e : schema["enum"]) {
                    if (e.is_string()) names.push_back(e.get<std::string>());
                }
                if (auto suggestion = closest_match(value.get<std::string>(), names)) {
                    problem += "; did you mean \"" + *suggestion + "\"?";
                }
            }
            fail(pointer, path, problem);
        }
        if (value.is_number()) {
            if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) {
                fail(pointer, path, "must be at least " + schema["minimum"].dump());
            }
            if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>()) {
                fail(pointer, path, "must be at most " + schema["maximum"].dump());
            }
        }
        if (value.is_string()) {
            if (schema.contains("minLength") && value.get<std::string>().size() < schema["minLength"].get<std::size_t>()) {
                fail(pointer, path, "must be at least " + schema["minLength"].dump() + " characters long");
            }
            if (schema.value("format", "") == "duration" && !parse_duration(value.get<std::string>())) {
                fail(pointer, path, "expected a duration like \"90s\" or \"10m\", got " + value.dump());
            }
        }
        if (value.is_array() && schema.contains("items")) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                check(schema["items"], value[i], pointer + "/" + std::to_string(i), path + "[" + std::to_string(i) + "]",
                      false);
            }
        }
        if (value.is_object()) check_object(schema, value, pointer, path, root);
    }

private:
    void check_object(const nlohmann::json& schema, nlohmann::json& value, const std::string& pointer,
                      const std::string& path, bool root) {
        const nlohmann::json properties = schema.value("properties", nlohmann::json::object());
        // Closed by default: an operator's typo must not be silently ignored.
        const bool additional = schema.value("additionalProperties", !schema.contains("properties") && !root);
        std::vector<std::string> known;
        for (const auto& [key, _] : properties.items()) known.push_back(key);
        for (auto& [key, child] : value.items()) {
            const std::string child_pointer = pointer + "/" + key;
            const std::string child_path = path + "." + key;
            if (properties.contains(key)) {
                check(properties[key], child, child_pointer, child_path, false);
            } else if (!additional) {
                std::string problem = "unknown key '" + key + "'";
                if (auto suggestion = closest_match(key, known)) problem += "; did you mean '" + *suggestion + "'?";
                fail(child_pointer, child_path, problem);
            }
        }
        if (schema.contains("required")) {
            for (const auto& required : schema["required"]) {
                const std::string key = required.get<std::string>();
                if (!value.contains(key)) fail(pointer, path + "." + key, "required key is missing");
            }
        }
        for (const auto& [key, property] : properties.items()) {
            if (!value.contains(key) && property.contains("default")) value[key] = property["default"];
        }
    }

    void check_type(const nlohmann::json& schema, const nlohmann::json& value, const std::string& pointer,
                    const std::string& path) {
        if (!schema.contains("type")) return;
        std::vector<std::string> types;
        if (schema["type"].is_array()) {
            for (const auto& t : schema["type"]) types.push_back(t.get<std::string>());
        } else {
            types.push_back(schema["type"].get<std::string>());
        }
        for (const std::string& type : types) {
            if (matches(type, value)) return;
        }
        std::string expected;
        for (const std::string& type : types) expected += (expected.empty() ? "" : " or ") + article(type);
        fail(pointer, path, "expected " + expected + ", got " + article(kind_of(value)));
    }

    static bool matches(const std::string& type, const nlohmann::json& value) {
        if (type == "object") return value.is_object();
        if (type == "array") return value.is_array();
        if (type == "string") return value.is_string();
        if (type == "integer") return value.is_number_integer();
        if (type == "number") return value.is_number();
        if (type == "boolean") return value.is_boolean();
        if (type == "null") return value.is_null();
        return false;
    }

    static std::string kind_of(const nlohmann::json& value) {
        if (value.is_object()) return "object";
        if (value.is_array()) return "array";
        if (value.is_string()) return "string";
        if (value.is_number_integer()) return "integer";
        if (value.is_number()) return "number";
        if (value.is_boolean()) return "boolean";
        return "null";
    }

    static std::string article(const std::string& type) {
        return (type == "object" || type == "array" || type == "integer" ? "an " : "a ") + type;
    }

    [[noreturn]] void fail(const std::string& pointer, const std::string& path, const std::string& problem) const {
        // The nearest recorded position: the key itself, else its closest enclosing key, else the table header.
        std::string p = pointer;
        for (;;) {
            if (auto it = plugin_.option_positions.find(p); it != plugin_.option_positions.end()) {
                throw ConfigError(it->second, path, problem);
            }
            const auto slash = p.rfind('/');
            if (slash == std::string::npos || p.empty()) break;
            p.erase(slash);
        }
        throw ConfigError(plugin_.where, path, problem);
    }

    PluginSection& plugin_;
};

}  // namespace

void apply_plugin_schema(PluginSection& plugin, const std::string& schema_json) {
    const std::string path = "plugins." + plugin.name;
    if (schema_json.empty()) {
        if (!plugin.options.empty()) {
            const std::string key = plugin.options.begin().key();
            const auto it = plugin.option_positions.find("/" + key);
            throw ConfigError(it != plugin.option_positions.end() ? it->second : plugin.where, path + "." + key,
                              "unknown key '" + key + "' (plugin '" + plugin.name + "' takes no options)");
        }
        return;
    }
    nlohmann::json schema;
    try {
        schema = nlohmann::json::parse(schema_json);
    } catch (const nlohmann::json::exception& e) {
        throw ConfigError(plugin.where, path, "plugin '" + plugin.name + "' declares an invalid config schema: " + e.what());
    }
    SchemaChecker(plugin).check(schema, plugin.options, "", path, true);
}

}  // namespace cim::core
