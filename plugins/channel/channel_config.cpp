#include "channel_config.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <cim/error.hpp>

#include "plugin_common/duration.hpp"
#include "plugin_common/server_limits.hpp"

namespace cim::channel {

nlohmann::json ChannelConfig::schema() {
    using nlohmann::json;
    const auto duration = [](const char* fallback, const char* meaning) {
        return json{{"type", "string"}, {"format", "duration"}, {"default", fallback}, {"description", meaning}};
    };
    json connector = {
        {"type", "object"},
        {"required", {"service", "token"}},
        {"properties",
         {{"service", {{"type", "string"}, {"minLength", 1}, {"description", "the connector's serviceIdentifier"}}},
          {"token",
           {{"type", "string"},
            {"minLength", 16},
            {"description", "bearer token the connector sends in Authorization (at least 16 characters)"}}},
          {"webhook",
           {{"type", "string"},
            {"default", ""},
            {"description", "http:// URL outbound messages are POSTed to; empty = none"}}},
          {"webhook_secret",
           {{"type", "string"},
            {"default", ""},
            {"description",
             "key of the X-CIM-Signature HMAC-SHA256 over timestamp and body (at least 16 characters; required with a "
             "webhook)"}}}}}};
    json schema = {{"type", "object"},
            {"properties",
             {{"listen",
               {{"type", "string"},
                {"default", "127.0.0.1:8080"},
                {"description", "host:port of the HTTP/WebSocket server (port 0 = any free port)"}}},
              {"customer_messages_per_minute",
               {{"type", "integer"},
                {"default", 30},
                {"minimum", 1},
                {"maximum", 10000},
                {"description", "messages one web chat visitor may send per minute; more get an error frame, unjournaled"}}},
              {"new_visitors_per_minute",
               {{"type", "integer"},
                {"default", 30},
                {"minimum", 1},
                {"maximum", 100000},
                {"description", "new web chat visitors one client address may start per minute"}}},
              {"web_chat",
               {{"type", "boolean"}, {"default", true}, {"description", "serve the customer chat page at / and /ws"}}},
              {"web_chat_service",
               {{"type", "string"},
                {"default", "web-chat"},
                {"minLength", 1},
                {"description", "serviceIdentifier of web chat sessions"}}},
              {"history_limit",
               {{"type", "integer"},
                {"default", 500},
                {"minimum", 10},
                {"maximum", 100000},
                {"description", "messages a web chat visitor can recover after a reconnect"}}},
              {"history_kept",
               {{"type", "integer"},
                {"default", 50},
                {"minimum", 1},
                {"maximum", 1000},
                {"description", "of a visitor's history, the most recent items kept across a runtime restart "
                                "(at most history_limit)"}}},
              {"max_visitors",
               {{"type", "integer"},
                {"default", 10000},
                {"minimum", 1},
                {"description", "web chat visitors remembered (with their history); past it the longest gone is forgotten"}}},
              {"connectors",
               {{"type", "array"}, {"default", json::array()}, {"items", connector},
                {"description", "external connectors allowed to POST /cim-messages"}}},
              {"webhook_timeout",
               duration("5s", "time for one webhook POST")},
              {"webhook_retries",
               {{"type", "integer"},
                {"default", 3},
                {"minimum", 0},
                {"maximum", 10},
                {"description", "retries of a failed webhook POST before a FAILED delivery notification"}}},
              {"webhook_backoff",
               duration("250ms", "wait before the first retry; doubled for each next one")}}}};
    const nlohmann::json limits = web::server_limits_schema();  // named: items() of a temporary would dangle
    for (const auto& [key, row] : limits.items()) schema["properties"][key] = row;
    return schema;
}

ChannelConfig ChannelConfig::from_json(const nlohmann::json& config) {
    ChannelConfig c;
    try {
        c.listen = web::ListenAddress::parse(config.at("listen").get<std::string>());
    } catch (const std::invalid_argument& e) {
        throw cim::Error(std::string("channel: listen: ") + e.what());
    }
    c.server = web::server_limits_from_json(config, "channel");
    c.customer_messages_per_minute = config.at("customer_messages_per_minute").get<std::size_t>();
    c.new_visitors_per_minute = config.at("new_visitors_per_minute").get<std::size_t>();
    c.web_chat = config.at("web_chat").get<bool>();
    c.web_chat_service = config.at("web_chat_service").get<std::string>();
    c.history_limit = config.at("history_limit").get<std::size_t>();
    c.history_kept = std::min(config.at("history_kept").get<std::size_t>(), c.history_limit);
    c.max_visitors = config.at("max_visitors").get<std::size_t>();
    c.webhook_timeout = common::parse_duration(config.at("webhook_timeout").get<std::string>());
    c.webhook_retries = config.at("webhook_retries").get<int>();
    c.webhook_backoff = common::parse_duration(config.at("webhook_backoff").get<std::string>());
    std::set<std::string> services{c.web_chat_service};
    std::set<std::string> tokens;
    for (std::size_t i = 0; i < config.at("connectors").size(); ++i) {
        const auto& entry = config["connectors"][i];
        const std::string where = "channel: connectors[" + std::to_string(i) + "]";
        ConnectorConfig connector{entry.at("service").get<std::string>(), entry.at("token").get<std::string>(),
                                  entry.value("webhook", std::string()), entry.value("webhook_secret", std::string())};
        if (!services.insert(connector.service).second) {
            throw cim::Error(where + ".service: '" + connector.service + "' is used twice (or is the web chat's)");
        }
        // One token, one channel: otherwise a request could not be told apart from another channel's.
        if (!tokens.insert(connector.token).second) throw cim::Error(where + ".token: the same token is used twice");
        if (!connector.webhook.empty()) {
            try {
                web::HttpUrl::parse(connector.webhook);
            } catch (const std::invalid_argument& e) {
                throw cim::Error(where + ".webhook: " + e.what());
            }
            // Unsigned, a webhook cannot tell our messages from anyone's who learned its URL.
            if (connector.webhook_secret.size() < 16) {
                throw cim::Error(where + ".webhook_secret: a webhook needs a secret of at least 16 characters to sign "
                                 "its requests with");
            }
        }
        c.connectors.push_back(std::move(connector));
    }
    return c;
}

}  // namespace cim::channel
