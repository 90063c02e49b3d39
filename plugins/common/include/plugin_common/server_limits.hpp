// The config keys every plugin's HTTP/WebSocket server takes (the channel's and the agent desk's), written once:
// one row per option — type, default and doc in the schema, read by the parser below — so the two plugins cannot
// drift. Each plugin merges the schema rows beside its `listen` key and lists them in its README.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "plugin_common/http_server.hpp"

namespace cim::web {

/// JSON Schema `properties` for allowed_origins, idle_timeout, max_connections, max_connections_per_address,
/// max_messages_per_second and max_queued_bytes, with defaults and docs.
nlohmann::json server_limits_schema();

/// Those keys of a plugin's (schema-checked, defaults filled) config. @throws cim::Error naming `plugin` and the key.
HttpServerOptions server_limits_from_json(const nlohmann::json& config, const std::string& plugin);

}  // namespace cim::web
