#include "plugin_common/server_limits.hpp"

#include <cim/error.hpp>

#include "plugin_common/duration.hpp"

namespace cim::web {

nlohmann::json server_limits_schema() {
    using nlohmann::json;
    const auto count = [](std::int64_t fallback, std::int64_t maximum, const char* meaning) {
        return json{{"type", "integer"}, {"default", fallback}, {"minimum", 1}, {"maximum", maximum}, {"description", meaning}};
    };
    return {
        {"allowed_origins",
         {{"type", "array"},
          {"items", {{"type", "string"}, {"minLength", 1}}},
          {"default", json::array()},
          {"description",
           "origins (scheme://host[:port]) whose pages may open a WebSocket besides the server's own; a browser from "
           "any other origin gets 403"}}},
        {"idle_timeout",
         {{"type", "string"},
          {"format", "duration"},
          {"default", "60s"},
          {"description",
           "a connection that sends nothing for this long is closed (WebSocket clients are pinged at half of it)"}}},
        {"max_connections", count(1024, 100000, "open connections the server holds at most (HTTP and WebSocket)")},
        {"max_connections_per_address", count(128, 100000, "open connections from one client IP address at most")},
        {"max_messages_per_second",
         count(20, 100000, "WebSocket messages read from one connection per second (twice that in a burst); more wait their turn")},
        {"max_queued_bytes",
         {{"type", "integer"},
          {"default", 1048576},
          {"minimum", 1024},
          {"description", "bytes waiting to be sent to one WebSocket client before it is disconnected as stuck"}}}};
}

HttpServerOptions server_limits_from_json(const nlohmann::json& config, const std::string& plugin) {
    HttpServerOptions options;
    options.idle_timeout = common::parse_duration(config.at("idle_timeout").get<std::string>());
    if (options.idle_timeout.count() < 100) throw cim::Error(plugin + ": idle_timeout: must be at least 100ms");
    options.max_connections = config.at("max_connections").get<std::size_t>();
    options.max_connections_per_address = config.at("max_connections_per_address").get<std::size_t>();
    options.max_messages_per_second = config.at("max_messages_per_second").get<double>();
    options.max_queued_bytes = config.at("max_queued_bytes").get<std::size_t>();
    for (const auto& origin : config.at("allowed_origins")) {
        std::string text = origin.get<std::string>();
        // Compared verbatim with what browsers send: scheme and host, no path, no trailing slash.
        const auto scheme = text.find("://");
        if (scheme == std::string::npos || scheme == 0 || text.find('/', scheme + 3) != std::string::npos ||
            scheme + 3 == text.size()) {
            throw cim::Error(plugin + ": allowed_origins: '" + text +
                             "' is not an origin like https://shop.example.com (scheme://host[:port], no path)");
        }
        options.allowed_origins.push_back(std::move(text));
    }
    return options;
}

}  // namespace cim::web
