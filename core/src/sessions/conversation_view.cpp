#include "sessions/conversation_view.hpp"

#include <algorithm>

#include "sessions/conversation_json.hpp"

namespace cim::core {
namespace {

nlohmann::json emitter_json(const Emitter& e) {
    return {{"id", e.id}, {"type", to_string(e.type)}, {"name", e.name}};
}

nlohmann::json data_json(const Event& e) {
    if (e.data.empty()) return nullptr;
    nlohmann::json data = nlohmann::json::parse(e.data, nullptr, false);
    // Journaled data was checked at ingest; should a journal hold something else, show it as text rather than lose it.
    return data.is_discarded() ? nlohmann::json(e.data) : data;
}

nlohmann::json update_json(const Event& e) {
    return {{"id", e.id}, {"name", e.name}, {"timestamp", e.timestamp_ms}, {"emitter", emitter_json(e.emitter)},
            {"data", data_json(e)}};
}

}  // namespace

ConversationViews::ConversationViews(TrackerOptions options) : tracker_(options) {}

void ConversationViews::add(const Event& event) {
    // Replaying the journal: what the tracker derives again is in the journal already, so only the verdict counts.
    if (tracker_.apply(event).duplicate || event.conversation_id.empty()) return;
    auto [it, created] = timelines_.try_emplace(event.conversation_id);
    if (created) conversation_order_.push_back(event.conversation_id);
    Timeline& timeline = it->second;
    if (event.type == EventType::activity || event.name == "THIRD_PARTY_ACTIVITY") {
        timeline.by_id.emplace(event.id, timeline.activities.size());
        timeline.activities.push_back({event, {}});
    } else if (is_activity_update(event.name)) {
        const auto target = timeline.by_id.find(event.refers_to);
        if (target != timeline.by_id.end()) {
            timeline.activities[target->second].updates.push_back(event);
        } else {
            timeline.unresolved.push_back(event);  // kept and shown, never dropped
        }
    }
}

nlohmann::json ConversationViews::conversation(const std::string& conversation_id) const {
    const Conversation* c = tracker_.find(conversation_id);
    if (c == nullptr) return nullptr;
    nlohmann::json out = conversation_state_json(*c);
    nlohmann::json activities = nlohmann::json::array();
    nlohmann::json unresolved = nlohmann::json::array();
    if (const auto it = timelines_.find(conversation_id); it != timelines_.end()) {
        for (const Activity& a : it->second.activities) {
            nlohmann::json activity = update_json(a.event);
            nlohmann::json updates = nlohmann::json::array();
            for (const Event& u : a.updates) updates.push_back(update_json(u));
            activity["updates"] = std::move(updates);
            activities.push_back(std::move(activity));
        }
        for (const Event& u : it->second.unresolved) {
            nlohmann::json update = update_json(u);
            update["refersTo"] = u.refers_to;
            unresolved.push_back(std::move(update));
        }
    }
    out["activities"] = std::move(activities);
    out["unresolvedUpdates"] = std::move(unresolved);
    return out;
}

nlohmann::json ConversationViews::customer(const std::string& customer_id) const {
    std::vector<std::pair<std::int64_t, nlohmann::json>> collected;
    for (const std::string& conversation_id : conversation_order_) {
        const Conversation* c = tracker_.find(conversation_id);
        if (c == nullptr || c->customer_id != customer_id) continue;  // the conversation's current customer decides
        for (const Activity& a : timelines_.at(conversation_id).activities) {
            nlohmann::json activity = update_json(a.event);
            activity["conversationId"] = conversation_id;
            nlohmann::json updates = nlohmann::json::array();
            for (const Event& u : a.updates) updates.push_back(update_json(u));
            activity["updates"] = std::move(updates);
            collected.emplace_back(a.event.timestamp_ms, std::move(activity));
        }
    }
    std::stable_sort(collected.begin(), collected.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    nlohmann::json activities = nlohmann::json::array();
    for (auto& [timestamp, activity] : collected) activities.push_back(std::move(activity));
    return {{"customerId", customer_id}, {"activities", std::move(activities)}};
}

}  // namespace cim::core
