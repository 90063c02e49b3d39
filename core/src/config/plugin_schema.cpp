// Checks a plugin's options against the JSON Schema subset it declares (docs/config-schema.md). No Debian package
// offers a C++ JSON Schema validator, and a plugin's options need only this much: types, properties, required,
// enums, bounds, items, defaults and durations. Messages speak TOML ("a table", "a float"), the language the operator
// wrote the options in.
#include <algorithm>

#include "config/did_you_mean.hpp"
#include "config/key_names.hpp"
#include "config/runtime_config.hpp"
#include "config/schema_subset.hpp"

namespace cim::core {
namespace {

using nlohmann::json;

class SchemaChecker {
public:
    explicit SchemaChecker(const PluginSection& plugin) : plugin_(plugin) {}

    /// Checks `value` (at `pointer`, named `path` in errors) and fills in the defaults declared below it.
    void check(const json& schema, json& value, const std::string& pointer, const std::string& path, bool root) const {
        check_type(schema, value, pointer, path);
        if (schema.contains("enum")) check_enum(schema["enum"], value, pointer, path);
        if (value.is_number()) {
            if (schema.contains("minimum") && value < schema["minimum"]) {
                fail(pointer, path, "must be at least " + schema["minimum"].dump());
            }
            if (schema.contains("maximum") && value > schema["maximum"]) {
                fail(pointer, path, "must be at most " + schema["maximum"].dump());
            }
        }
        if (value.is_string()) check_string(schema, value.get_ref<const std::string&>(), pointer, path);
        if (value.is_array() && schema.contains("items")) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                const std::string index = std::to_string(i);
                check(schema["items"], value[i], pointer + "/" + index, path + "[" + index + "]", false);
            }
        }
        if (value.is_object()) check_object(schema, value, pointer, path, root);
    }

    /// The position of the option at `pointer`: the key itself, else its closest enclosing key, else the table header.
    SourcePosition position_of(const std::string& pointer) const {
        for (std::string p = pointer; !p.empty(); p.erase(p.rfind('/'))) {
            if (auto it = plugin_.option_positions.find(p); it != plugin_.option_positions.end()) return it->second;
        }
        return plugin_.where;
    }

    /// The keys of the object at `pointer` in the order the operator wrote them (JSON objects keep them sorted), so
    /// the first error reported is the first one in the file.
    std::vector<std::string> keys_in_file_order(const json& object, const std::string& pointer) const {
        std::vector<std::pair<std::pair<std::uint32_t, std::uint32_t>, std::string>> keyed;
        for (const auto& [key, _] : object.items()) {
            const SourcePosition where = position_of(pointer + "/" + json_pointer_token(key));
            keyed.push_back({{where.line, where.column}, key});
        }
        std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<std::string> keys;
        for (auto& [_, key] : keyed) keys.push_back(std::move(key));
        return keys;
    }

private:
    void check_type(const json& schema, const json& value, const std::string& pointer, const std::string& path) const {
        if (!schema.contains("type")) return;
        const json types = schema["type"].is_array() ? schema["type"] : json::array({schema["type"]});
        std::string expected;
        for (const auto& type : types) {
            if (matches(type.get<std::string>(), value)) return;
            expected += (expected.empty() ? "" : " or ") + expected_name(type.get<std::string>());
        }
        fail(pointer, path, "expected " + expected + ", got " + kind_of(value));
    }

    void check_enum(const json& allowed, const json& value, const std::string& pointer, const std::string& path) const {
        if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
        std::string list;
        std::vector<std::string> names;
        for (const auto& a : allowed) {
            list += (list.empty() ? "" : ", ") + a.dump();
            if (a.is_string()) names.push_back(a.get<std::string>());
        }
        std::string problem = "expected one of " + list + ", got " + value.dump();
        if (value.is_string()) {
            if (auto suggestion = closest_match(value.get<std::string>(), names)) {
                problem += "; did you mean " + json(*suggestion).dump() + "?";
            }
        }
        fail(pointer, path, problem);
    }

    void check_string(const json& schema, const std::string& text, const std::string& pointer, const std::string& path) const {
        if (schema.contains("minLength")) {
            // JSON Schema counts characters, not bytes: count every byte that does not continue a UTF-8 sequence.
            const auto characters = static_cast<std::size_t>(std::count_if(
                text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
            const auto least = schema["minLength"].get<std::size_t>();
            if (characters < least) {
                fail(pointer, path, least == 1 ? "must not be empty" : "must be at least " + std::to_string(least) + " characters long");
            }
        }
        if (schema.value("format", "") == "duration" && !parse_duration(text)) {
            fail(pointer, path, "expected a duration like \"90s\" or \"10m\", got " + json(text).dump());
        }
    }

    void check_object(const json& schema, json& value, const std::string& pointer, const std::string& path, bool root) const {
        const json properties = schema.value("properties", json::object());
        // Closed unless the schema says otherwise: an operator's typo must not be silently ignored. Only an object
        // schema below the root that declares no properties at all is a free-form map.
        const bool open = schema.value("additionalProperties", !root && !schema.contains("properties"));
        std::vector<std::string> declared;
        for (const auto& [key, _] : properties.items()) declared.push_back(key);
        for (const std::string& key : keys_in_file_order(value, pointer)) {
            const std::string child_pointer = pointer + "/" + json_pointer_token(key);
            const std::string child_path = path + "." + key_path_segment(key);
            if (properties.contains(key)) {
                check(properties[key], value[key], child_pointer, child_path, false);
            } else if (!open) {
                std::string problem = "unknown key '" + key + "'";
                if (auto suggestion = closest_match(key, declared)) problem += "; did you mean '" + *suggestion + "'?";
                fail(child_pointer, child_path, problem);
            }
        }
        for (const auto& required : schema.value("required", json::array())) {
            const std::string key = required.get<std::string>();
            if (!value.contains(key)) fail(pointer, path + "." + key_path_segment(key), "required key is missing");
        }
        fill_defaults(schema, value);
    }

    /// Gives every absent key its declared default; an absent object whose own keys have defaults (and none is
    /// required) is created with them, so the plugin never has to repeat a default the schema already states.
    static void fill_defaults(const json& schema, json& object) {
        if (!schema.contains("properties")) return;
        for (const auto& [key, property] : schema["properties"].items()) {
            if (object.contains(key)) continue;
            if (property.contains("default")) {
                json value = property["default"];
                if (value.is_object()) fill_defaults(property, value);
                object[key] = std::move(value);
            } else if (property.contains("properties") && property.value("required", json::array()).empty()) {
                json nested = json::object();
                fill_defaults(property, nested);
                if (!nested.empty()) object[key] = std::move(nested);
            }
        }
    }

    static bool matches(const std::string& type, const json& value) {
        if (type == "object") return value.is_object();
        if (type == "array") return value.is_array();
        if (type == "string") return value.is_string();
        if (type == "integer") return value.is_number_integer();
        if (type == "number") return value.is_number();
        if (type == "boolean") return value.is_boolean();
        if (type == "null") return value.is_null();
        return false;
    }

    static std::string expected_name(const std::string& type) {
        if (type == "object") return "a table";
        if (type == "array" || type == "integer") return "an " + type;
        if (type == "null") return "null";
        return "a " + type;
    }

    static std::string kind_of(const json& value) {
        if (value.is_object()) return "a table";
        if (value.is_array()) return "an array";
        if (value.is_string()) return "a string";
        if (value.is_number_integer()) return "an integer";
        if (value.is_number()) return "a float";
        if (value.is_boolean()) return "a boolean";
        return "null";
    }

    [[noreturn]] void fail(const std::string& pointer, const std::string& path, const std::string& problem) const {
        throw ConfigError(position_of(pointer), path, problem);
    }

    const PluginSection& plugin_;
};

}  // namespace

void apply_plugin_schema(PluginSection& plugin, const std::string& schema_json) {
    const std::string path = "plugins." + key_path_segment(plugin.name);
    const SchemaChecker checker(plugin);
    if (schema_json.empty()) {
        if (!plugin.options.empty()) {
            const std::string key = checker.keys_in_file_order(plugin.options, "").front();
            throw ConfigError(checker.position_of("/" + json_pointer_token(key)), path + "." + key_path_segment(key),
                              "unknown key '" + key + "' (plugin '" + plugin.name + "' takes no options)");
        }
        return;
    }
    const auto invalid = [&](const std::string& why) {
        return ConfigError(plugin.where, path, "plugin '" + plugin.name + "' declares an invalid config schema: " + why);
    };
    json schema;
    try {
        schema = json::parse(schema_json);
    } catch (const json::parse_error& e) {
        // what() opens with "[json.exception.parse_error.101] ", which tells the plugin author nothing.
        const std::string what = e.what();
        const auto tag_end = what.find("] ");
        throw invalid(tag_end == std::string::npos ? what : what.substr(tag_end + 2));
    }
    if (auto defect = schema_defect(schema)) throw invalid(*defect);
    // Checked on a copy: a violation must leave the section as the operator wrote it, half-filled defaults included.
    json options = plugin.options;
    checker.check(schema, options, "", path, true);
    plugin.options = std::move(options);
}

}  // namespace cim::core
