// A plugin's [plugins.<name>] table becomes the JSON the plugin receives. Where every key stood is kept by JSON
// pointer, because the plugin's schema is checked later (once its manifest is loaded) and its errors must still name
// file:line:column.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config/runtime_config.hpp"

namespace cim::core {

/// `region`'s start in `file`.
SourcePosition source_position(const std::string& file, const toml::source_region& region);

/// TOML to JSON: tables become objects, arrays arrays, integers integers, floats numbers, booleans and strings
/// themselves, dates and times their RFC 3339 text. Records the position of every key (and array element) below
/// `pointer` in `positions`. Throws ConfigError for a value JSON cannot carry (nan, inf).
class PluginOptionConverter {
public:
    PluginOptionConverter(std::string source_name, std::map<std::string, SourcePosition>& positions)
        : source_name_(std::move(source_name)), positions_(positions) {}

    /// `node` stands at JSON pointer `pointer` and is named `key_path` in errors.
    nlohmann::json convert(const toml::node& node, const std::string& pointer, const std::string& key_path);

private:
    std::string source_name_;
    std::map<std::string, SourcePosition>& positions_;
};

}  // namespace cim::core
