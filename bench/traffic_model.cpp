#include "traffic_model.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

namespace cim::bench {
namespace {

// Deterministic filler so message sizes vary over 200-600 bytes without a random generator in the hot loop.
std::string text_of_length(std::size_t seed, std::size_t base) {
    static const std::string words =
        "thanks for reaching out about your order the parcel left our warehouse yesterday and should arrive soon ";
    const std::size_t length = base + (seed * 37) % 220;
    std::string text;
    while (text.size() < length) text += words;
    text.resize(length);
    return text;
}

nlohmann::json message(const std::string& id, const char* sender_type, const std::string& sender, const std::string& text) {
    return {{"id", id},
            {"header", {{"sender", {{"id", sender}, {"type", sender_type}}}, {"timestamp", 1700000000000}}},
            {"body", {{"type", "PLAIN"}, {"markdownText", text}}}};
}

struct Step {
    const char* name;
    const char* emitter_type;
    const char* emitter;     // "customer", "bot", "agent", "app", "system"
    int refers_to_step;      // -1: none
    const char* body;        // "message", "session", "notification", "reaction", "wrapup", "survey", "action", "none"
};

// One conversation's life. Indices in refers_to_step point to earlier steps of the same conversation.
constexpr Step steps[events_per_conversation] = {
    {"CHANNEL_SESSION_STARTED", "CONNECTOR", "web", -1, "session"},
    {"CUSTOMER_MESSAGE", "CUSTOMER", "customer", -1, "message"},
    {"BOT_MESSAGE", "BOT", "bot", -1, "message"},
    {"MESSAGE_DELIVERY_NOTIFICATION", "CUSTOMER", "customer", 2, "notification"},
    {"CUSTOMER_MESSAGE", "CUSTOMER", "customer", -1, "message"},
    {"ACTION_MESSAGE", "BOT", "bot", -1, "action"},
    {"AGENT_SUBSCRIBED", "AGENT", "agent", -1, "none"},
    {"AGENT_MESSAGE", "AGENT", "agent", -1, "message"},
    {"MESSAGE_DELIVERY_NOTIFICATION", "CUSTOMER", "customer", 7, "notification"},
    {"CUSTOMER_MESSAGE", "CUSTOMER", "customer", -1, "message"},
    {"ACTIVITY_REACTION", "AGENT", "agent", 9, "reaction"},
    {"AGENT_MESSAGE", "AGENT", "agent", -1, "message"},
    {"WRAPUP_APPLIED", "AGENT", "agent", -1, "wrapup"},
    {"AGENT_UNSUBSCRIBED", "AGENT", "agent", -1, "none"},
    {"THIRD_PARTY_ACTIVITY", "APP", "survey", -1, "survey"},
    {"CUSTOMER_MESSAGE", "CUSTOMER", "customer", -1, "message"},
    {"ACTIVITY_REACTION", "CUSTOMER", "customer", 14, "reaction"},
    {"CHANNEL_SESSION_ENDED", "CONNECTOR", "web", -1, "session"},
};

}  // namespace

std::string stamped_id(std::size_t seq) {
    return "b-" + std::to_string(seq) + "-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::vector<WireEvent> make_traffic(std::size_t total, std::size_t concurrent) {
    std::vector<WireEvent> events;
    events.reserve(total);
    std::size_t conversation_base = 0;
    // Rounds of `concurrent` conversations: step 0 of each, then step 1 of each, ... (interleaved, order kept per
    // conversation); then the next round of fresh conversations.
    while (events.size() < total) {
        std::vector<std::vector<long>> index_of(concurrent, std::vector<long>(events_per_conversation, -1));
        for (std::size_t step = 0; step < events_per_conversation && events.size() < total; ++step) {
            for (std::size_t c = 0; c < concurrent && events.size() < total; ++c) {
                const std::size_t n = conversation_base + c;
                const std::string conversation = "conv-" + std::to_string(n);
                const std::string customer = "cust-" + std::to_string(n % 50000);
                const std::string session = "sess-" + std::to_string(n);
                const Step& s = steps[step];
                const std::string emitter = std::string(s.emitter) == "customer" ? customer : std::string(s.emitter) + "-1";
                nlohmann::json e = {{"name", s.name},
                                    {"conversationId", conversation},
                                    {"channelSessionId", session},
                                    {"customerId", customer},
                                    {"emitter", {{"id", emitter}, {"type", s.emitter_type}}}};
                const std::string body = s.body;
                const std::string message_id = "msg-" + std::to_string(n) + "-" + std::to_string(step);
                if (body == "message") {
                    e["data"] = message(message_id, s.emitter_type, emitter, text_of_length(n + step, 120));
                } else if (body == "session") {
                    e["data"] = {{"id", session}, {"channel", {{"serviceIdentifier", "web"}}}, {"interactive", false}};
                } else if (body == "notification") {
                    e["data"] = {{"status", "READ"}, {"messageId", "msg-" + std::to_string(n)}};
                } else if (body == "reaction") {
                    e["data"] = {{"reaction", "thumbs-up"}};
                } else if (body == "wrapup") {
                    e["data"] = message(message_id, "AGENT", emitter, "");
                    e["data"]["body"] = {{"type", "WRAPUP"}, {"wrapups", {{{"categories", {"Resolved"}}, {"note", text_of_length(n, 60)}}}}};
                } else if (body == "survey") {
                    e["data"] = message(message_id, "APP", "survey", "How would you rate your conversation with us?");
                    e["data"]["body"]["type"] = "BUTTON";
                    e["data"]["body"]["buttons"] = nlohmann::json::array({{{"title", "1"}}, {{"title", "5"}}});
                } else if (body == "action") {
                    e["data"] = {{"action", "FIND_AGENT"}};
                }
                WireEvent wire;
                // The referred event's id is stamped at its publish: a placeholder marks where it goes.
                if (s.refers_to_step >= 0) e["refersTo"] = "@REF@";
                const std::string text = "\"," + e.dump().substr(1);
                if (s.refers_to_step >= 0) {
                    const auto at = text.find("@REF@");
                    wire.after_id = text.substr(0, at);
                    wire.after_ref = text.substr(at + 5);
                    wire.refers_to = index_of[c][static_cast<std::size_t>(s.refers_to_step)];
                } else {
                    wire.after_id = text;
                }
                wire.conversation_id = conversation;
                index_of[c][step] = static_cast<long>(events.size());
                events.push_back(std::move(wire));
            }
        }
        conversation_base += concurrent;
    }
    return events;
}

}  // namespace cim::bench
