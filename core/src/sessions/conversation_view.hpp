// Conversations and customer journeys as `cimrt inspect` shows them, rebuilt from journal events.
//
// The live tracker keeps only state; the timeline (activities and their updates) lives in the journal. So a view is
// built by replaying journal events through a SessionTracker while collecting the timeline: the same code that
// tracks live, hence the same answer, and it works while the runtime is stopped.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessions/session_tracker.hpp"

namespace cim::core {

class ConversationViews {
public:
    explicit ConversationViews(TrackerOptions options = {});

    /// Feeds one journal event (in journal order).
    void add(const Event& event);

    /// The conversation as JSON, or null when unknown:
    /// {id, state, customerId, channelSessions[{id, state, interactive}], participants[{id, type, role, active}],
    ///  activities[{id, name, timestamp, emitter{id,type,name}, data, updates[{id, name, timestamp, emitter, data}]}],
    ///  unresolvedUpdates[{id, name, timestamp, emitter, data, refersTo}]}
    /// `data` is the event's payload as JSON (null when absent).
    nlohmann::json conversation(const std::string& conversation_id) const;

    /// The customer's journey: {customerId, activities[{id, name, conversationId, timestamp, emitter, data, updates[]}]}
    /// — every activity of every conversation currently associated with the customer, in time order (ties: journal
    /// order). After ASSOCIATED_CUSTOMER_CHANGED a conversation's activities belong to the new customer.
    nlohmann::json customer(const std::string& customer_id) const;

private:
    struct Activity {
        Event event;
        std::vector<Event> updates;
    };
    struct Timeline {
        std::vector<Activity> activities;
        std::map<std::string, std::size_t> by_id;  // activity id → index
        std::vector<Event> unresolved;             // updates whose refersTo names no known activity
    };

    SessionTracker tracker_;
    std::map<std::string, Timeline> timelines_;    // by conversation id
    std::vector<std::string> conversation_order_;  // first-seen order
};

}  // namespace cim::core
