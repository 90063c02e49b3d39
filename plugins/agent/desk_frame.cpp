#include "desk_frame.hpp"

#include "plugin_common/frame_dispatch.hpp"
#include "plugin_common/json_fields.hpp"

namespace cim::agent {

DeskFrame decode_desk_frame(const nlohmann::json& json) {
    using common::string_at;
    DeskFrame frame;
    frame.type = string_at(json, "type");
    frame.agent_id = string_at(json, "agentId");
    frame.password = string_at(json, "password");
    frame.token = string_at(json, "token");
    frame.status = string_at(json, "status");
    frame.conversation_id = string_at(json, "conversationId");
    frame.text = string_at(json, "text");
    frame.event_id = string_at(json, "eventId");
    frame.note = string_at(json, "note");
    // Elements that are not strings are skipped rather than refused: the desk only ever sends strings, and an empty
    // list is refused by the plugin ("choose at least one wrap-up category").
    if (!json.is_object()) return frame;
    if (const auto categories = json.find("categories"); categories != json.end() && categories->is_array()) {
        for (const auto& category : *categories) {
            if (category.is_string()) frame.categories.push_back(category.get<std::string>());
        }
    }
    return frame;
}

std::optional<DeskFrame> decode_desk_frame(std::string_view text) {
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return std::nullopt;
    return decode_desk_frame(json);
}

nlohmann::json welcome_frame(const DeskAgent& agent, const std::vector<std::string>& wrapup_categories,
                             std::string_view status) {
    return {{"type", "welcome"},
            {"agent", {{"id", agent.id}, {"name", agent.name}, {"capacity", agent.capacity}}},
            {"wrapupCategories", wrapup_categories},
            {"status", status}};
}

nlohmann::json status_frame(std::string_view status, std::string_view reason, std::string_view notice) {
    nlohmann::json frame = {{"type", "status"}, {"status", status}, {"reason", reason}};
    if (!notice.empty()) frame["notice"] = notice;
    return frame;
}

nlohmann::json offer_frame(const std::string& conversation_id, const std::string& customer_id, const std::string& task_id,
                           std::int64_t expires_at_ms) {
    return {{"type", "offer"},
            {"conversationId", conversation_id},
            {"customerId", customer_id},
            {"taskId", task_id},
            {"expiresAt", expires_at_ms}};
}

nlohmann::json assigned_frame(const std::string& conversation_id, const std::string& customer_id) {
    return {{"type", "assigned"}, {"conversationId", conversation_id}, {"customerId", customer_id}};
}

nlohmann::json withdrawn_frame(const std::string& conversation_id, std::string_view reason) {
    return {{"type", "offer_withdrawn"}, {"conversationId", conversation_id}, {"reason", reason}};
}

nlohmann::json event_frame(const std::string& conversation_id, const nlohmann::json& entry) {
    return {{"type", "event"}, {"conversationId", conversation_id}, {"entry", entry}};
}

nlohmann::json closed_frame(const std::string& conversation_id) {
    return {{"type", "closed"}, {"conversationId", conversation_id}};
}

nlohmann::json desk_error_frame(std::string_view message, std::string_view conversation_id) {
    return common::error_frame(message, conversation_id);
}

nlohmann::json session_refused_frame(std::string_view message) {
    return {{"type", "session_refused"}, {"error", message}};
}

nlohmann::json login_refused_frame(std::int64_t retry_after_ms) {
    return {{"type", "error"},
            {"error", "too many login attempts; try again in " + std::to_string((retry_after_ms + 999) / 1000) + " s"},
            {"retryAfterMs", retry_after_ms}};
}

void add_transcript(nlohmann::json& frame, nlohmann::json transcript) { frame["transcript"] = std::move(transcript); }

}  // namespace cim::agent
