#include "config/plugin_options.hpp"

#include <cmath>
#include <sstream>

#include "config/key_names.hpp"

namespace cim::core {

SourcePosition source_position(const std::string& file, const toml::source_region& region) {
    return {file, static_cast<std::uint32_t>(region.begin.line), static_cast<std::uint32_t>(region.begin.column)};
}

nlohmann::json PluginOptionConverter::convert(const toml::node& node, const std::string& pointer,
                                              const std::string& key_path) {
    if (const toml::table* table = node.as_table()) {
        nlohmann::json object = nlohmann::json::object();
        for (auto&& [key, value] : *table) {
            const std::string name(key.str());
            const std::string child = pointer + "/" + json_pointer_token(name);
            positions_[child] = source_position(source_name_, key.source());
            object[name] = convert(value, child, key_path + "." + key_path_segment(name));
        }
        return object;
    }
    if (const toml::array* array = node.as_array()) {
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t i = 0; i < array->size(); ++i) {
            const toml::node& element = (*array)[i];
            const std::string child = pointer + "/" + std::to_string(i);
            positions_[child] = source_position(source_name_, element.source());
            list.push_back(convert(element, child, key_path + "[" + std::to_string(i) + "]"));
        }
        return list;
    }
    if (const auto* text = node.as_string()) return text->get();
    if (const auto* integer = node.as_integer()) return integer->get();
    if (const auto* floating = node.as_floating_point()) {
        // JSON has no nan or inf; nlohmann would silently write null, and the plugin would read a different value.
        if (!std::isfinite(floating->get())) {
            throw ConfigError(source_position(source_name_, node.source()), key_path,
                              "nan and inf cannot be passed to a plugin (JSON has no such number)");
        }
        return floating->get();
    }
    if (const auto* boolean = node.as_boolean()) return boolean->get();
    // toml++ prints dates and times in RFC 3339, the form JSON consumers parse.
    std::ostringstream text;
    if (const auto* date = node.as_date()) text << *date;
    else if (const auto* time = node.as_time()) text << *time;
    else if (const auto* date_time = node.as_date_time()) text << *date_time;
    return text.str();
}

}  // namespace cim::core
