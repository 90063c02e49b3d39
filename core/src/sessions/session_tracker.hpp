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
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "event/event.hpp"
#include "sessions/conversation.hpp"

namespace cim::core {

struct TrackerOptions {
    /// A non-interactive channel session with no customer activity for this long expires (CHANNEL_SESSION_EXPIRED).
    std::chrono::milliseconds customer_inactivity_timeout = std::chrono::minutes(10);
    /// A CLOSED conversation leaves memory this long after it closed (take_due evicts it); negative: never.
    std::chrono::milliseconds closed_grace = std::chrono::minutes(10);
};

/// What came due at a time (SessionTracker::take_due).
struct Due {
    /// CHANNEL_SESSION_EXPIRED for every open chat session whose customer was inactive for the timeout: header
    /// complete but `id`, timestamp = now, data = the ChannelSession. The caller publishes them through the normal
    /// path, which applies them; until one is applied its session stays due (a refused expiry is reported again).
    std::vector<Event> expired;
    /// Conversations that were CLOSED for the grace period and have left memory, by id.
    std::vector<std::string> evicted;
};

/// A snapshot body that cannot be restored (truncated, damaged, another format). The tracker is then unusable:
/// the caller starts from an empty one and replays the journal instead.
struct SnapshotError : std::runtime_error {
    using std::runtime_error::runtime_error;
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
    // The deadline heap points into the conversations: a copy would point into the original. Moving keeps the nodes.
    SessionTracker(const SessionTracker&) = delete;
    SessionTracker& operator=(const SessionTracker&) = delete;
    SessionTracker(SessionTracker&&) noexcept = default;
    SessionTracker& operator=(SessionTracker&&) noexcept = default;

    /// Applies a validated, stamped event (the rules: docs/sessions.md). Events without a conversation id (a note, a
    /// wrap-up on a channel session only) change no conversation but are still checked for duplicates. Duplicates are
    /// recognised per conversation: an id is a duplicate when the same conversation has applied it before.
    Applied apply(const Event& event);

    /// Whether apply() would call `event` a duplicate. Changes nothing. O(log ids of its conversation).
    bool has_seen(const Event& event) const;

    /// What is due at `now_ms`: inactivity expiries to publish, and the CLOSED conversations whose grace period is
    /// over, which it evicts (they leave memory; the caller drops what it keeps for them). Takes the due entries off
    /// the deadline heap: O(due · log conversations), never a scan of all conversations.
    Due take_due(std::int64_t now_ms);
    /// The expiries of take_due(now_ms) alone (tests, and callers that evict nothing else).
    std::vector<Event> expire_due(std::int64_t now_ms) { return take_due(now_ms).expired; }
    /// The earliest deadline (an inactivity expiry or the end of a grace period), for the runtime's one timer per
    /// shard; nullopt when none. Drops stale heap entries from the top as it goes: amortised O(log conversations).
    std::optional<std::int64_t> next_expiry_ms();

    /// Whether `conversation_id` was evicted from this tracker (and is not tracked now): its history is in the store
    /// only. 8 bytes per evicted conversation; O(log evicted).
    bool was_evicted(std::string_view conversation_id) const;

    /// The tracker's whole state — conversations (with their duplicate and activity ids), the ids of events without
    /// a conversation, the evicted conversations — in a compact binary form with a checksum. O(state).
    std::string snapshot() const;
    /// Replaces this tracker's state by a snapshot() body. Throws SnapshotError when the body is damaged; the
    /// tracker must then be discarded.
    void restore_snapshot(std::string_view body);

    /// The conversation, or nullptr.
    const Conversation* find(std::string_view conversation_id) const;
    std::size_t conversation_count() const noexcept { return conversations_.size(); }
    void for_each(const std::function<void(const Conversation&)>& visit) const;

private:
    // One entry of the deadline heap; stale entries (the conversation's deadline moved) are skipped when they come up.
    // Conversations live in unordered_map nodes, whose addresses are stable; one is never evicted while an entry
    // points at it (Conversation::heap_entries).
    struct Deadline {
        std::int64_t at;
        Conversation* conversation;
    };
    std::optional<std::int64_t> deadline_of(const Conversation& c) const;
    void schedule(Conversation& c);  // makes sure a heap entry at or before its deadline exists
    Conversation* pop_deadline();  // the entry's conversation, or nullptr when it was buried and is now freed
    void evict(Conversation& c, Due& due);
    void remember_evicted(std::uint64_t id_hash);
    bool was_evicted_hash(std::uint64_t id_hash) const;

    // Looked up by string_view without building a std::string (C++20 heterogeneous lookup).
    struct IdHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view id) const noexcept { return std::hash<std::string_view>{}(id); }
    };
    using Conversations = std::unordered_map<std::string, Conversation, IdHash, std::equal_to<>>;
    // The conversation found for the event being admitted: was_evicted, has_seen and apply ask for the same one in a
    // row, and each lookup in a large table is a cache miss or two. Reset whenever a conversation leaves the table.
    Conversation* lookup(std::string_view conversation_id) const;
    mutable Conversation* recent_ = nullptr;

    TrackerOptions options_;
    Conversations conversations_;
    std::vector<std::uint64_t> seen_without_conversation_;  // sorted hashes; duplicates of conversation-less events
    std::vector<Deadline> deadlines_;                       // a min-heap on `at`
    // Evicted conversations that stale heap entries still point at (a deadline that moved earlier, e.g. a chat that
    // ended before its inactivity deadline with a grace shorter than the timeout): emptied of everything, freed when
    // the last of those entries comes up.
    std::unordered_map<const Conversation*, Conversations::node_type> graveyard_;
    // Hashes of evicted conversation ids: a sorted run and a short unsorted tail merged into it now and then, so an
    // eviction costs amortised O(1) and a lookup O(log n).
    std::vector<std::uint64_t> evicted_sorted_;
    std::vector<std::uint64_t> evicted_recent_;
};

}  // namespace cim::core
