// The runtime's owned copy of what a plugin (or an in-process handler) declares: its name and the events it
// exchanges. The bus wires endpoints from these; the CLI prints them.
#pragma once

#include <string>
#include <vector>

#include "cim/abi.h"
#include "event/event.hpp"

namespace cim::core {

struct CustomEventDeclaration {
    std::string name;
    EventType type = EventType::unset;
    std::string description;
};

struct Manifest {
    std::string name;
    std::string version;
    std::string description;
    std::vector<std::string> publishes;
    std::vector<std::string> consumes;
    std::vector<CustomEventDeclaration> custom_events;
    std::string config_schema_json;  ///< empty = the plugin accepts no config keys
};

/// Copies a manifest out of a plugin library, reading only the fields its struct_size covers.
/// Throws std::invalid_argument naming the field when it is malformed (NULL name, NULL entries in a list, a custom
/// event without a type) or when the name is not [a-z0-9_-]+.
Manifest read_manifest(const cim_manifest_t& manifest);

/// Throws std::invalid_argument when `name` is not a valid plugin name ([a-z0-9_-]+, non-empty).
void check_plugin_name(const std::string& name);

}  // namespace cim::core
