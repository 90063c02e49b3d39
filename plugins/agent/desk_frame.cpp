#include "desk_frame.hpp"

#include <nlohmann/json.hpp>

#include "plugin_common/json_fields.hpp"

namespace cim::agent {

std::optional<DeskFrame> decode_desk_frame(std::string_view text) {
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return std::nullopt;
    using common::string_at;
    DeskFrame frame;
    frame.type = string_at(json, "type");
    frame.agent_id = string_at(json, "agentId");
    frame.password = string_at(json, "password");
    frame.conversation_id = string_at(json, "conversationId");
    frame.text = string_at(json, "text");
    frame.event_id = string_at(json, "eventId");
    frame.note = string_at(json, "note");
    // Elements that are not strings are skipped rather than refused: the desk only ever sends strings, and an empty
    // list is refused by the plugin ("choose at least one wrap-up category").
    if (const auto categories = json.find("categories"); categories != json.end() && categories->is_array()) {
        for (const auto& category : *categories) {
            if (category.is_string()) frame.categories.push_back(category.get<std::string>());
        }
    }
    return frame;
}

}  // namespace cim::agent
