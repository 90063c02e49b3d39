#include "connector_api.hpp"

#include <algorithm>
#include <string_view>

#include "publish_refusal.hpp"

namespace cim::channel {
namespace {

using web::HttpResponse;

constexpr std::string_view messages_path = "/cim-messages";
constexpr std::string_view sessions_prefix = "/channel-sessions/";

// Compares without an early exit: the time taken depends on the guess's length only, never on how much of it is right.
bool same_secret(std::string_view given, std::string_view expected) {
    std::size_t difference = given.size() ^ expected.size();
    for (std::size_t i = 0; i < given.size(); ++i) {
        difference |= static_cast<unsigned char>(given[i]) ^
                      static_cast<unsigned char>(i < expected.size() ? expected[i] : '\0');
    }
    return difference == 0;
}

// A string member at a dotted path; nullptr when absent or not a non-empty string.
const nlohmann::json* text_at(const nlohmann::json& root, std::initializer_list<const char*> path) {
    const nlohmann::json* node = &root;
    for (const char* key : path) {
        if (!node->is_object()) return nullptr;
        const auto it = node->find(key);
        if (it == node->end()) return nullptr;
        node = &*it;
    }
    return node->is_string() && !node->get_ref<const std::string&>().empty() ? node : nullptr;
}

HttpResponse missing(std::string_view field) {
    return HttpResponse::error(400, std::string(field) + " is required (a non-empty string)", field);
}

}  // namespace

bool ConnectorApi::handle(const web::HttpRequest& request, web::HttpResponse& response) {
    const bool messages = request.path == messages_path;
    const bool sessions = request.path.rfind(sessions_prefix, 0) == 0;
    if (!messages && !sessions) return false;
    const ConnectorConfig* connector = authenticate(request);
    if (connector == nullptr) {
        response = HttpResponse::error(401, "a valid 'Authorization: Bearer <token>' header is required");
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return true;
    }
    if (messages) {
        response = request.method == "POST" ? post_message(*connector, request)
                                            : HttpResponse::error(405, "use POST on /cim-messages");
    } else {
        response = request.method == "DELETE"
                       ? end_session(*connector, request.path.substr(sessions_prefix.size()))
                       : HttpResponse::error(405, "use DELETE on /channel-sessions/{id}");
    }
    return true;
}

const ConnectorConfig* ConnectorApi::authenticate(const web::HttpRequest& request) const {
    constexpr std::string_view scheme = "Bearer ";
    const std::string_view header = request.authorization;
    if (header.size() <= scheme.size() || header.substr(0, scheme.size()) != scheme) return nullptr;
    const std::string_view token = header.substr(scheme.size());
    const ConnectorConfig* match = nullptr;
    for (const ConnectorConfig& c : connectors_) {
        if (same_secret(token, c.token)) match = &c;  // no early exit: every token is compared
    }
    return match;
}

HttpResponse ConnectorApi::post_message(const ConnectorConfig& connector, const web::HttpRequest& request) {
    nlohmann::json message = nlohmann::json::parse(request.body, nullptr, false);
    if (message.is_discarded()) return HttpResponse::error(400, "the body is not valid JSON");
    if (!message.is_object()) return HttpResponse::error(400, "the body must be a CIM message object");
    if (!text_at(message, {"id"})) return missing("id");
    if (!message.contains("header") || !message["header"].is_object()) {
        return HttpResponse::error(400, "header is required (an object)", "header");
    }
    const auto* customer = text_at(message, {"header", "channelData", "channelCustomerIdentifier"});
    if (!customer) return missing("header.channelData.channelCustomerIdentifier");
    const auto* service = text_at(message, {"header", "channelData", "serviceIdentifier"});
    if (!service) return missing("header.channelData.serviceIdentifier");
    const auto* type = text_at(message, {"body", "type"});
    if (!type) return missing("body.type");
    if (service->get_ref<const std::string&>() != connector.service) {
        return HttpResponse::error(403, "this token is not valid for service '" + service->get<std::string>() + "'",
                                   "header.channelData.serviceIdentifier");
    }
    const std::string channel_customer_id = customer->get<std::string>();
    const std::string customer_id = connector.service + ":" + channel_customer_id;

    if (type->get_ref<const std::string&>() == "DELIVERYNOTIFICATION") {
        const auto* message_id = text_at(message, {"body", "messageId"});
        if (!message_id) return missing("body.messageId");
        const auto* status = text_at(message, {"body", "status"});
        const std::string status_text = status ? status->get<std::string>() : "";
        if (status_text != "DELIVERED" && status_text != "READ" && status_text != "FAILED") {
            return HttpResponse::error(400, "body.status must be DELIVERED, READ or FAILED", "body.status");
        }
        const auto record = directory_.latest(connector.service, channel_customer_id);
        const auto event_id = record ? directory_.event_of_message(record->conversation_id, message_id->get<std::string>())
                                     : std::nullopt;
        if (!event_id) {
            return HttpResponse::error(404, "no message '" + message_id->get<std::string>() + "' was sent to this customer",
                                       "body.messageId");
        }
        const auto result = ingest_.delivery_notification(*record, *event_id, status_text, cim::EmitterType::connector,
                                                          connector.service);
        if (!result.ok()) return refused(result);
        return HttpResponse::json(202, nlohmann::json{{"refersTo", *event_id}, {"status", status_text}}.dump());
    }

    // The connector's message id names the event too: a connector retrying after a timeout is a duplicate, not a
    // second message.
    std::string event_id = connector.service + ":" + message["id"].get<std::string>();
    // Answered once the message is as durable as store.sync promises, without holding the loop meanwhile: requests
    // arriving on other connections share the store's next commit (abi.h, publish_async).
    auto [response, reply] = HttpResponse::later();
    ingest_.customer_message_async(connector.service, channel_customer_id, customer_id, std::move(message),
                                   std::move(event_id), [reply = reply](IngestOutcome outcome) {
                                       if (!outcome.result.ok()) return reply->send(refused(outcome.result));
                                       reply->send(HttpResponse::json(
                                           202, nlohmann::json{{"eventId", outcome.event_id},
                                                               {"conversationId", outcome.record.conversation_id},
                                                               {"channelSessionId", outcome.record.session_id},
                                                               {"customerId", outcome.record.customer_id}}
                                                    .dump()));
                                   });
    return response;
}

HttpResponse ConnectorApi::end_session(const ConnectorConfig& connector, const std::string& session_id) {
    const auto record = directory_.by_session(session_id);
    if (!record) {
        // Our ids are UUIDs; a path segment that is not printable ASCII is not echoed back, as it may not even be
        // UTF-8, which a JSON error body cannot carry (found by tests/fuzz/connector_request).
        const bool printable = std::all_of(session_id.begin(), session_id.end(), [](char c) { return c >= ' ' && c <= '~'; });
        return HttpResponse::error(404, printable ? "no channel session '" + session_id + "'" : "no such channel session");
    }
    if (record->service != connector.service) {
        return HttpResponse::error(403, "channel session '" + session_id + "' belongs to another service");
    }
    if (!record->open) return HttpResponse::error(409, "channel session '" + session_id + "' has already ended");
    const auto result = ingest_.end_session(*record, cim::EmitterType::connector, connector.service);
    if (!result.ok()) return refused(result);
    HttpResponse response;
    response.status = 204;
    return response;
}

}  // namespace cim::channel
