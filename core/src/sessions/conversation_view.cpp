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

void ConversationTimeline::add(const Event& event) {
    if (event.type == EventType::activity || event.name == "THIRD_PARTY_ACTIVITY") {
        by_id_.emplace(event.id, activities_.size());
        nlohmann::json activity = update_json(event);
        activity["updates"] = nlohmann::json::array();
        activities_.push_back(std::make_shared<const nlohmann::json>(std::move(activity)));
    } else if (is_activity_update(event.name)) {
        const auto target = by_id_.find(event.refers_to);
        if (target != by_id_.end()) {
            // Entries are shared with views being assembled: an update replaces its activity, never changes it.
            Entry& activity = activities_[target->second];
            nlohmann::json updated = *activity;
            updated["updates"].push_back(update_json(event));
            activity = std::make_shared<const nlohmann::json>(std::move(updated));
        } else {
            nlohmann::json update = update_json(event);  // kept and shown, never dropped
            update["refersTo"] = event.refers_to;
            unresolved_.push_back(std::make_shared<const nlohmann::json>(std::move(update)));
        }
    }
}

nlohmann::json ConversationTimeline::assemble(nlohmann::json state, const Parts& parts) {
    nlohmann::json activities = nlohmann::json::array();
    activities.get_ref<nlohmann::json::array_t&>().reserve(parts.activities.size());
    for (const Entry& a : parts.activities) activities.push_back(*a);
    nlohmann::json unresolved = nlohmann::json::array();
    for (const Entry& u : parts.unresolved) unresolved.push_back(*u);
    state["activities"] = std::move(activities);
    state["unresolvedUpdates"] = std::move(unresolved);
    return state;
}

nlohmann::json ConversationTimeline::to_json(const Conversation& state) const {
    return assemble(conversation_state_json(state), parts());
}

ConversationViews::ConversationViews(TrackerOptions options) : tracker_(options) {}

void ConversationViews::add(const Event& event) {
    // Replaying the journal: what the tracker derives again is in the journal already, so only the verdict counts.
    if (tracker_.apply(event).duplicate || event.conversation_id.empty()) return;
    auto [it, created] = timelines_.try_emplace(event.conversation_id);
    if (created) conversation_order_.push_back(event.conversation_id);
    it->second.add(event);
}

nlohmann::json ConversationViews::conversation(const std::string& conversation_id) const {
    const Conversation* c = tracker_.find(conversation_id);
    if (c == nullptr) return nullptr;
    if (const auto it = timelines_.find(conversation_id); it != timelines_.end()) return it->second.to_json(*c);
    return ConversationTimeline().to_json(*c);
}

nlohmann::json ConversationViews::customer(const std::string& customer_id) const {
    std::vector<std::pair<std::int64_t, nlohmann::json>> collected;
    for (const std::string& conversation_id : conversation_order_) {
        const Conversation* c = tracker_.find(conversation_id);
        if (c == nullptr || c->customer_id != customer_id) continue;  // the conversation's current customer decides
        for (const ConversationTimeline::Entry& a : timelines_.at(conversation_id).activities()) {
            nlohmann::json activity = *a;
            activity["conversationId"] = conversation_id;
            collected.emplace_back(activity["timestamp"].get<std::int64_t>(), std::move(activity));
        }
    }
    std::stable_sort(collected.begin(), collected.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    nlohmann::json activities = nlohmann::json::array();
    for (auto& [timestamp, activity] : collected) activities.push_back(std::move(activity));
    return {{"customerId", customer_id}, {"activities", std::move(activities)}};
}

}  // namespace cim::core
