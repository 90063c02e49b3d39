// The channel plugin (the channel manager of DESIGN §1): customers reach the contact center through it — the built-in
// web chat page, or external connectors speaking the CIM connector contract over HTTP — and it carries bot, agent and
// survey messages back to them.
#include <memory>
#include <optional>
#include <string>

#include <cim/sdk.hpp>

#include "plugin_common/json_fields.hpp"

#include "channel_config.hpp"
#include "channel_state.hpp"
#include "connector_api.hpp"
#include "customer_ingest.hpp"
#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_server.hpp"
#include "session_directory.hpp"
#include "web_chat.hpp"
#include "webhook_sender.hpp"

std::string_view chat_page();  // plugins/channel/web/chat.html, embedded at build time

namespace cim::channel {
namespace {

using common::string_at;

// Buttons of a structured (BUTTON) message, as the page shows them.
nlohmann::json buttons_of(const nlohmann::json& body) {
    nlohmann::json buttons = nlohmann::json::array();
    if (!body.is_object() || !body.contains("buttons") || !body["buttons"].is_array()) return buttons;
    for (const auto& b : body["buttons"]) {
        if (!b.is_object()) continue;
        const std::string title = string_at(b, "title");
        const std::string payload = string_at(b, "payload");
        buttons.push_back({{"title", title}, {"payload", payload.empty() ? title : payload}});
    }
    return buttons;
}

}  // namespace

class ChannelPlugin : public cim::Plugin {
public:
    explicit ChannelPlugin(const cim::PluginContext& context)
        : cim::Plugin(context),
          config_(ChannelConfig::from_json(config())),
          state_(host()),
          directory_(&state_),
          ingest_(host(), directory_),
          web_chat_(config_, ingest_, directory_, loop_, &state_),
          connectors_(config_.connectors, ingest_, directory_),
          webhooks_(loop_, {config_.webhook_timeout, config_.webhook_retries, config_.webhook_backoff},
                    [this](const WebhookDelivery& delivery, const std::string& reason) { webhook_failed(delivery, reason); },
                    &state_) {
        loop_.set_log([this](cim::LogLevel level, const std::string& message) { log().log(level, message); });
        web_chat_.on_undeliverable([this](const SessionRecord& record, const std::string& event_id, const std::string& reason) {
            delivery_failed(record, event_id, cim::EmitterType::connector, record.service, reason);
        });
    }

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = "channel";
        m.version = "1.0.0";
        m.description = "customer channels: a web chat page and the CIM connector API (POST /cim-messages, webhooks)";
        m.publishes = {"CHANNEL_SESSION_STARTED", "CHANNEL_SESSION_ENDED", "CUSTOMER_MESSAGE",
                       "MESSAGE_DELIVERY_NOTIFICATION"};
        m.consumes = {"BOT_MESSAGE",        "AGENT_MESSAGE",      "THIRD_PARTY_ACTIVITY", "MESSAGE_DELIVERY_NOTIFICATION",
                      "AGENT_SUBSCRIBED",   "AGENT_UNSUBSCRIBED", "TASK_STATE_CHANGED",   "CHANNEL_SESSION_EXPIRED",
                      "CHANNEL_SESSION_ENDED"};
        m.config_schema = ChannelConfig::schema();
        return m;
    }

    void on_start() {
        take_up_kept_state();
        std::vector<web::WebSocketRoute> routes;
        if (config_.web_chat) routes.push_back(web_chat_.route());
        server_ = std::make_unique<web::HttpServer>(
            loop_, config_.listen, [this](const web::HttpRequest& r) { return answer(r); }, std::move(routes),
            config_.server);
        loop_.start();
        server_->start();
        const std::string base = "http://" + config_.listen.host + ":" + std::to_string(server_->port());
        if (config_.web_chat) log().info("customer chat: " + base + "/");
        log().info("connector API: POST " + base + "/cim-messages (" + std::to_string(config_.connectors.size()) +
                   " connector(s))");
        report_connections();
    }

    void on_event(const cim::Event& event) {
        const std::string_view name = event.name();
        const auto record = directory_.by_conversation(std::string(event.conversation_id()));
        if (!record) return;  // not a conversation of this channel (e.g. replayed with `cimrt publish`)
        if (name == "BOT_MESSAGE" || name == "AGENT_MESSAGE" || name == "THIRD_PARTY_ACTIVITY") {
            deliver_message(*record, event);
        } else if (name == "MESSAGE_DELIVERY_NOTIFICATION") {
            show_receipt(*record, event);
        } else if (name == "AGENT_SUBSCRIBED" || name == "AGENT_UNSUBSCRIBED") {
            std::string who(event.emitter_name().empty() ? event.emitter_id() : event.emitter_name());
            show_status(*record, who + (name == "AGENT_SUBSCRIBED" ? " joined the conversation" : " left the conversation"));
        } else if (name == "TASK_STATE_CHANGED") {
            // One waiting line per wait: shown when the task is queued, kept through missed or declined offers
            // (which the customer does not need to hear of), cleared when an agent is there or the wait is over.
            const std::string state = string_at(event.data(), "state");
            const std::string reason = string_at(event.data(), "reason");
            if (state == "QUEUED" && reason != "ACCEPT_TIMEOUT" && reason != "DECLINED") {
                show_status(*record, "Waiting for an agent...", "waiting");
            } else if (state == "ACTIVE" || state == "CLOSED" || state == "CANCELED") {
                clear_status(*record, "waiting");
            }
        } else if (name == "CHANNEL_SESSION_EXPIRED" || name == "CHANNEL_SESSION_ENDED") {
            // Ended by someone else (an app, an operator's publish) or expired by the runtime: the customer's next
            // message starts afresh. The channel's own ends do not come back here.
            if (directory_.close(std::string(event.channel_session_id())) && is_web(*record)) {
                web_chat_.deliver(*record, {{"type", "ended"}, {"reason", name == "CHANNEL_SESSION_EXPIRED" ? "EXPIRED" : "ENDED"}});
            }
        }
    }

    void on_stop() {
        if (server_) server_->stop();
        loop_.stop();
    }

private:
    // What the runtime kept from before a restart (or a reload): the sessions with their message ids, the web chat
    // visitors with their recent history, and the webhook deliveries still pending. Indexes are rebuilt here once;
    // lookups read them, and every change writes through (channel_state.hpp).
    void take_up_kept_state() {
        if (!state_.enabled()) return;
        ChannelState::Restored kept = state_.restore();
        directory_.restore(std::move(kept.sessions));
        web_chat_.restore(std::move(kept.visitors));
        std::vector<WebhookDelivery> pending;
        for (auto& d : kept.deliveries) {
            const auto record = directory_.by_conversation(d.conversation_id);
            const ConnectorConfig* connector = record ? connector_of(*record) : nullptr;
            if (connector == nullptr || connector->webhook.empty()) {
                // The connector, or its webhook, was removed from the configuration meanwhile: nowhere to send it.
                log().warn("dropping the pending webhook delivery of " + d.event_id + ": conversation " +
                           d.conversation_id + " has no connector webhook any more");
                state_.erase_delivery(d.conversation_id, d.seq);
                continue;
            }
            pending.push_back({d.conversation_id, d.event_id, connector->webhook, std::move(d.body),
                               connector->webhook_secret, d.seq});
        }
        log().info("taken up from the plugin state: " + std::to_string(directory_.size()) + " channel session(s), " +
                   std::to_string(web_chat_.size()) + " web chat visitor(s), " + std::to_string(pending.size()) +
                   " pending webhook delivery(ies)");
        webhooks_.restore(std::move(pending));
    }

    bool is_web(const SessionRecord& record) const {
        return config_.web_chat && record.service == config_.web_chat_service;
    }

    const ConnectorConfig* connector_of(const SessionRecord& record) const {
        for (const auto& c : config_.connectors) {
            if (c.service == record.service) return &c;
        }
        return nullptr;
    }

    web::HttpResponse answer(const web::HttpRequest& request) {
        web::HttpResponse response;
        if (connectors_.handle(request, response)) return response;
        if (request.method == "GET" && request.path == "/" && config_.web_chat) {
            response.content_type = "text/html; charset=utf-8";
            response.body = std::string(chat_page());
            return response;
        }
        if (request.method == "GET" && request.path == "/healthz") return health();
        return web::HttpResponse::error(404, "no such resource: " + request.method + " " + request.path);
    }

    // Alive, and how loaded: open connections and the worst backlog one client ever had (what the limits bound).
    web::HttpResponse health() const {
        return web::HttpResponse::json(200, nlohmann::json{{"status", "ok"},
                                                           {"connections", server_->connection_count()},
                                                           {"peakQueuedBytes", server_->peak_queued_bytes()}}
                                                .dump());
    }

    // A bot, agent or app message for the customer: to the web page, or to the connector's webhook.
    void deliver_message(const SessionRecord& record, const cim::Event& event) {
        const nlohmann::json& data = event.data();
        if (!data.is_object() || !data.contains("body") || !data["body"].is_object()) return;  // not a CIM message
        std::string message_id = string_at(data, "id");
        if (message_id.empty()) message_id = std::string(event.id());
        directory_.remember_message(record.conversation_id, message_id, std::string(event.id()));
        if (is_web(record)) {
            std::string name(event.emitter_name());
            if (name.empty()) name = string_at(data["header"].is_object() ? data["header"]["sender"] : nlohmann::json(), "name");
            web_chat_.deliver_message(record, {{"type", "message"},
                                       {"messageId", message_id},
                                       {"from", {{"type", cim::to_string(event.emitter_type())}, {"name", name}}},
                                       {"text", string_at(data["body"], "markdownText")},
                                       {"buttons", buttons_of(data["body"])},
                                       {"timestamp", event.timestamp_ms()}},
                                      std::string(event.id()));
            return;
        }
        const ConnectorConfig* connector = connector_of(record);
        if (connector == nullptr || connector->webhook.empty()) return;
        nlohmann::json message = data;
        message["id"] = message_id;
        auto& header = message["header"];
        if (!header.is_object()) header = nlohmann::json::object();
        header["channelData"] = {{"channelCustomerIdentifier", record.channel_customer_id},
                                 {"serviceIdentifier", record.service}};
        header["channelSessionId"] = record.session_id;
        header["conversationId"] = record.conversation_id;
        webhooks_.send({record.conversation_id, std::string(event.id()), connector->webhook, message.dump(),
                        connector->webhook_secret});
    }

    void show_receipt(const SessionRecord& record, const cim::Event& event) {
        if (!is_web(record) || event.emitter_type() == cim::EmitterType::customer) return;
        const auto message_id = directory_.message_of_event(record.conversation_id, std::string(event.refers_to()));
        if (!message_id) return;
        web_chat_.deliver(record,
                          {{"type", "receipt"}, {"messageId", *message_id}, {"status", string_at(event.data(), "status")}});
    }

    // A status line; with a `key`, the page keeps one line per key (a later one replaces it, clear_status removes it).
    void show_status(const SessionRecord& record, const std::string& text, const std::string& key = {}) {
        if (!is_web(record)) return;
        nlohmann::json frame = {{"type", "status"}, {"text", text}};
        if (!key.empty()) frame["key"] = key;
        web_chat_.deliver(record, frame);
    }
    void clear_status(const SessionRecord& record, const std::string& key) {
        if (is_web(record)) web_chat_.deliver(record, {{"type", "status"}, {"text", ""}, {"key", key}, {"clear", true}});
    }

    // On the loop's thread, after the last retry: the customer did not get the message, and the journal says so.
    // The open connections on /metrics (cimrt_channel_http_connections): sampled on the loop every few seconds, as
    // a scrape would not see a value that changes with every connect anyway.
    void report_connections() {
        host().gauge_set("http_connections", static_cast<double>(server_->connection_count()), {},
                         "Open HTTP and WebSocket connections to the channel plugin (sampled every 5 s).");
        loop_.post_after(std::chrono::seconds(5), [this] { report_connections(); });
    }

    void webhook_failed(const WebhookDelivery& delivery, const std::string& reason) {
        host().counter_add("webhook_failures_total", 1, {},
                           "Webhook deliveries given up after their retries (each also journaled as a FAILED "
                           "delivery notification).");
        log().warn("webhook delivery of " + delivery.event_id + " to " + delivery.url + " failed: " + reason);
        const auto record = directory_.by_conversation(delivery.conversation_id);
        if (!record) return;
        delivery_failed(*record, delivery.event_id, cim::EmitterType::connector, record->service, reason);
    }

    void delivery_failed(const SessionRecord& record, const std::string& event_id, cim::EmitterType emitter_type,
                         const std::string& emitter_id, const std::string& reason) {
        const auto result = ingest_.delivery_notification(record, event_id, "FAILED", emitter_type, emitter_id, reason);
        if (!result.ok()) log().error("could not record the failed delivery of " + event_id + ": " + result.error);
    }

    ChannelConfig config_;
    web::EventLoop loop_;  // before everything that posts to it, so it is destroyed last
    ChannelState state_;   // before everything that writes through it
    SessionDirectory directory_;
    CustomerIngest ingest_;
    WebChat web_chat_;
    ConnectorApi connectors_;
    WebhookSender webhooks_;
    std::unique_ptr<web::HttpServer> server_;
};

}  // namespace cim::channel

CIM_PLUGIN(cim::channel::ChannelPlugin);
