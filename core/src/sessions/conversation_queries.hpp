// Conversation and journey queries, answered from one place (docs/sessions.md, "Queries"): a conversation in memory
// from memory (the session stage keeps its timeline), any other from the store's index of the journal by
// conversation — never by replaying the whole journal for one conversation. Used by the host callbacks of plugins
// and handlers and by the embedding API.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sessions/session_tracker.hpp"
#include "store/store.hpp"

namespace cim::core {

/// Where conversations in memory are answered from (the session stage).
class LiveConversations {
public:
    virtual ~LiveConversations() = default;
    /// The conversation view, or nullopt when the conversation is not in memory (unknown, or evicted).
    virtual std::optional<nlohmann::json> live_conversation(const std::string& conversation_id) = 0;
};

class ConversationQueries {
public:
    /// `store` must outlive the queries.
    ConversationQueries(Store& store, TrackerOptions options) : store_(store), options_(options) {}
    /// Conversations in memory are answered by `live` from then on. Before the runtime starts.
    void attach(LiveConversations& live) { live_ = &live; }

    /// The conversation view (ConversationViews::conversation), or null when unknown. In memory: O(conversation),
    /// no journal read after the first for that conversation. Otherwise: one indexed read of that conversation's
    /// journal entries, O(conversation). Thread-safe. Throws StoreError.
    nlohmann::json conversation(const std::string& conversation_id);
    /// The customer's journey (ConversationViews::customer). Reads the whole journal: O(journal) — a customer index
    /// in the store is the planned remedy. Thread-safe. Throws StoreError.
    nlohmann::json customer_journey(const std::string& customer_id);

private:
    Store& store_;
    TrackerOptions options_;
    LiveConversations* live_ = nullptr;
};

}  // namespace cim::core
