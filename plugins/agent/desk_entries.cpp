#include "desk_entries.hpp"

#include "plugin_common/json_fields.hpp"

namespace cim::agent {
namespace {

using common::string_at;

std::string message_text(const nlohmann::json& data) {
    return data.is_object() ? string_at(data.value("body", nlohmann::json()), "markdownText") : std::string();
}

// One mapping for both sources: (name, id, timestamp, emitter {id,type,name}, refersTo, data) → entry.
std::optional<nlohmann::json> make_entry(const std::string& name, const std::string& id, std::int64_t timestamp,
                                         nlohmann::json from, const std::string& refers_to, const nlohmann::json& data) {
    nlohmann::json entry = {{"eventId", id}, {"timestamp", timestamp}, {"from", std::move(from)}};
    if (name == "CUSTOMER_MESSAGE" || name == "BOT_MESSAGE" || name == "AGENT_MESSAGE") {
        entry["kind"] = "message";
        entry["text"] = message_text(data);
    } else if (name == "WHISPER_MESSAGE") {
        entry["kind"] = "whisper";
        entry["text"] = message_text(data);
    } else if (name == "BOT_SUGGESTION") {
        entry["kind"] = "suggestion";
        entry["text"] = string_at(data, "suggestion");
    } else if (name == "THIRD_PARTY_ACTIVITY") {
        if (message_text(data).empty()) return std::nullopt;  // a score or a record, not something said
        entry["kind"] = "survey";
        entry["text"] = message_text(data);
    } else if (name == "MESSAGE_DELIVERY_NOTIFICATION") {
        entry["kind"] = "receipt";
        entry["status"] = string_at(data, "status");
        entry["refersTo"] = refers_to;
        entry["text"] = "";
    } else if (name == "ACTIVITY_REACTION") {
        entry["kind"] = "status";
        entry["text"] = "reaction: " + string_at(data, "reaction");
        entry["refersTo"] = refers_to;
    } else {
        return std::nullopt;
    }
    return entry;
}

}  // namespace

std::optional<nlohmann::json> entry_of(const cim::Event& event) {
    nlohmann::json from = {{"type", cim::to_string(event.emitter_type())},
                           {"id", std::string(event.emitter_id())},
                           {"name", std::string(event.emitter_name())}};
    return make_entry(std::string(event.name()), std::string(event.id()), event.timestamp_ms(), std::move(from),
                      std::string(event.refers_to()), event.data());
}

nlohmann::json transcript_of(const nlohmann::json& conversation) {
    nlohmann::json entries = nlohmann::json::array();
    if (!conversation.is_object() || !conversation.contains("activities")) return entries;
    const auto add = [&](const nlohmann::json& e, const std::string& refers_to) {
        auto entry = make_entry(e.value("name", ""), e.value("id", ""), e.value("timestamp", std::int64_t{0}),
                                e.value("emitter", nlohmann::json::object()), refers_to, e.value("data", nlohmann::json()));
        if (entry) entries.push_back(std::move(*entry));
    };
    for (const auto& activity : conversation["activities"]) {
        add(activity, "");
        for (const auto& update : activity.value("updates", nlohmann::json::array())) add(update, activity.value("id", ""));
    }
    return entries;
}

nlohmann::json status_entry(const std::string& text, std::int64_t timestamp_ms) {
    return {{"eventId", ""},
            {"kind", "status"},
            {"from", {{"type", "APP"}, {"id", "agent-manager"}, {"name", "Agent manager"}}},
            {"text", text},
            {"timestamp", timestamp_ms}};
}

}  // namespace cim::agent
