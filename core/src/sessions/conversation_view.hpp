// Conversations and customer journeys as `cimrt inspect` shows them, rebuilt from journal events.
//
// The live tracker keeps only state; the timeline (activities and their updates) lives in the journal. So a view is
// built by replaying journal events through a SessionTracker while collecting the timeline: the same code that
// tracks live, hence the same answer, and it works while the runtime is stopped.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessions/session_tracker.hpp"

namespace cim::core {

/// One conversation's timeline — its activities, each with its updates, and the updates that named no activity — as
/// the conversation view shows it. Built once per event, in journal order, by the views below (replaying) and by the
/// session stage's cache of live conversations (as events are admitted), so both answer alike. Each entry is kept
/// as immutable, shared JSON: taking the parts of a view under a lock costs a pointer copy per entry, and the view
/// is assembled outside it. Not thread-safe.
class ConversationTimeline {
public:
    using Entry = std::shared_ptr<const nlohmann::json>;
    struct Parts {
        std::vector<Entry> activities;  ///< each {id, name, timestamp, emitter, data, updates[]}
        std::vector<Entry> unresolved;  ///< each {id, name, timestamp, emitter, data, refersTo}
    };

    /// Feeds one event of the conversation that the tracker did not call a duplicate. Events other than activities
    /// and their updates are ignored. O(log activities), plus a copy of the updated activity for an update.
    void add(const Event& event);
    /// The entries as they are now: O(entries) pointer copies.
    Parts parts() const { return {activities_, unresolved_}; }
    /// The view: `state` (conversation_state_json) plus `activities` and `unresolvedUpdates`. O(timeline).
    static nlohmann::json assemble(nlohmann::json state, const Parts& parts);
    /// assemble(conversation_state_json(state), parts()).
    nlohmann::json to_json(const Conversation& state) const;
    const std::vector<Entry>& activities() const noexcept { return activities_; }

private:
    std::vector<Entry> activities_;
    std::vector<Entry> unresolved_;               // updates whose refersTo names no known activity
    std::map<std::string, std::size_t> by_id_;    // activity id → index in activities_
};

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
    SessionTracker tracker_;
    std::map<std::string, ConversationTimeline> timelines_;  // by conversation id
    std::vector<std::string> conversation_order_;  // first-seen order
};

}  // namespace cim::core
