// The channel plugin's [plugins.channel] table, typed. The runtime has checked it against the manifest's schema and
// filled in defaults, so reading cannot fail on shape; what the schema cannot say (addresses, unique tokens) is
// checked here.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin_common/http_server.hpp"
#include "plugin_common/http_types.hpp"

namespace cim::channel {

/// One external connector (WhatsApp, SMS, a partner's chat ...) speaking the CIM connector contract.
struct ConnectorConfig {
    std::string service;   ///< its serviceIdentifier: which channel its messages belong to
    std::string token;     ///< the bearer token it authenticates with
    std::string webhook;   ///< where outbound messages are POSTed; empty = the connector receives nothing
    std::string webhook_secret;  ///< key of the webhook's HMAC-SHA256 signature; required with a webhook
};

struct ChannelConfig {
    web::ListenAddress listen;
    web::HttpServerOptions server;  ///< allowed_origins, idle_timeout, max_connections... (plugin_common/server_limits)
    bool web_chat = true;
    std::string web_chat_service;
    std::size_t history_limit = 500;
    std::size_t history_kept = 50;  ///< of those, the most recent kept across a restart (at most history_limit)
    std::size_t max_visitors = 10000;
    std::size_t customer_messages_per_minute = 30;  ///< per web chat visitor; more get an error frame
    std::size_t new_visitors_per_minute = 30;       ///< per client address; more get an error frame and a close
    std::vector<ConnectorConfig> connectors;
    std::chrono::milliseconds webhook_timeout{5000};
    int webhook_retries = 3;
    std::chrono::milliseconds webhook_backoff{250};

    /// @throws cim::Error naming the key and the problem.
    static ChannelConfig from_json(const nlohmann::json& config);
    /// The JSON Schema of the table, with every key's default and meaning (shown by `cimrt plugins --plugin channel`).
    static nlohmann::json schema();
};

}  // namespace cim::channel
