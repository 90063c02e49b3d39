// The session tracker (DESIGN §1, §2; docs/sessions.md): applies every accepted event to the state of its
// conversation, before any plugin sees it, and says what the runtime must emit as a consequence.
//
// One tracker per shard. Not thread-safe by design: the shard serialises its conversations, so the tracker needs no
// lock, and nothing here reads another shard's conversations (the unit of partitioning when runtimes scale out).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "event/event.hpp"
#include "sessions/conversation.hpp"

namespace cim::core {

struct TrackerOptions {
    /// A non-interactive channel session with no customer activity for this long expires (CHANNEL_SESSION_EXPIRED).
    std::chrono::milliseconds customer_inactivity_timeout = std::chrono::minutes(10);
};

/// What applying one event did.
struct Applied {
    /// The event id was applied before: nothing changed; the runtime neither journals nor delivers it again.
    bool duplicate = false;
    /// Events the runtime must emit because of this one, in order (TOPIC_STATE_CHANGED on every state change,
    /// CHANNEL_SESSION_ENDED when a participant leaves an interactive session). Header complete except `id`, which the
    /// runtime stamps; `timestamp_ms` is the triggering event's; emitter SYSTEM {"cimrt", SYSTEM, "session-tracker"}.
    /// The runtime applies each of them through apply() too, then journals and delivers them after the triggering
    /// event.
    std::vector<Event> derived;
    /// Something the operator should know that is not an error: e.g. "ACTIVITY_REACTION e9 refers to unknown activity
    /// e1; kept". The event is still applied, journaled and delivered.
    std::string warning;
};

class SessionTracker {
public:
    explicit SessionTracker(TrackerOptions options = {});

    /// Applies a validated, stamped event (the rules: docs/sessions.md). Events without a conversation id (a note, a
    /// wrap-up on a channel session only) change no conversation but are still checked for duplicates. Duplicates are
    /// recognised per conversation: an id is a duplicate when the same conversation has applied it before.
    Applied apply(const Event& event);

    /// Whether apply() would call `event` a duplicate. Changes nothing. O(log ids of its conversation).
    bool has_seen(const Event& event) const;

    /// CHANNEL_SESSION_EXPIRED events for every open non-interactive session whose customer has been inactive for the
    /// timeout at `now_ms` (header complete but id; timestamp = now_ms; data = the ChannelSession as JSON). The caller
    /// publishes them through the normal path, which applies them.
    std::vector<Event> expire_due(std::int64_t now_ms) const;
    /// The earliest inactivity deadline among open sessions, for the runtime's timer; nullopt when none.
    std::optional<std::int64_t> next_expiry_ms() const;

    /// The conversation, or nullptr.
    const Conversation* find(std::string_view conversation_id) const;
    std::size_t conversation_count() const noexcept { return conversations_.size(); }
    void for_each(const std::function<void(const Conversation&)>& visit) const;

private:
    TrackerOptions options_;
    std::unordered_map<std::string, Conversation> conversations_;
    std::vector<std::uint64_t> seen_without_conversation_;  // sorted hashes; duplicates of conversation-less events
};

}  // namespace cim::core
