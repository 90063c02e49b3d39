// Which channel session and conversation each customer of each channel is in, and the ids of the messages sent in it.
//
// Written on the plugin's event-loop thread (ingest), read from the runtime's worker threads (outbound delivery):
// hence the lock. It holds one small record per open session plus recently closed ones' message ids.
//
// It is an index over the runtime's plugin state (channel_state.hpp): every change is written through — after the
// lock is released, so no host call ever waits under it — and restore() rebuilds it in start(), so after a restart a
// customer's next message stays in their conversation and messages into it still reach them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cim::channel {

struct SessionRecord {
    std::string service;              ///< serviceIdentifier of the channel
    std::string channel_customer_id;  ///< channelCustomerIdentifier: the customer as the channel knows them
    std::string customer_id;          ///< the CIM customer id
    std::string conversation_id;
    std::string session_id;
    bool open = true;
    std::int64_t started_ms = 0;      ///< when it started (wall clock): which of a customer's sessions is the latest
};

/// A message remembered in a conversation, as kept in the plugin state.
struct KeptMessage {
    std::uint64_t seq = 0;
    std::string message_id;
    std::string event_id;
};

/// A session read back from the plugin state, with its conversation's remembered messages (oldest first).
struct KeptSession {
    SessionRecord record;
    std::vector<KeptMessage> messages;
};

class ChannelState;

class SessionDirectory {
public:
    /// `state` (may be null: memory only, as in the fuzzers) receives every change; it must outlive this.
    explicit SessionDirectory(ChannelState* state = nullptr) : state_(state) {}

    /// Rebuilds the index from what the plugin state kept. Before any other call (in start()).
    void restore(std::vector<KeptSession> sessions);
    /// Sessions known, open or closed (for the start-up log).
    std::size_t size() const;

    /// The customer's open session on `service`, or a new record (ids freshly made) with `created` set; the caller
    /// publishes CHANNEL_SESSION_STARTED for it and calls forget() if that fails.
    struct Found {
        SessionRecord record;
        bool created = false;
    };
    Found find_or_start(const std::string& service, const std::string& channel_customer_id,
                        const std::string& customer_id);

    /// The customer's most recent session on `service`, open or not.
    std::optional<SessionRecord> latest(const std::string& service, const std::string& channel_customer_id) const;
    std::optional<SessionRecord> by_conversation(const std::string& conversation_id) const;
    std::optional<SessionRecord> by_session(const std::string& session_id) const;

    /// Marks the session closed: the customer's next message starts a new session and conversation.
    /// Returns the record as it was, if the session was known and open.
    std::optional<SessionRecord> close(const std::string& session_id);
    /// Drops a record whose CHANNEL_SESSION_STARTED was never accepted (and its kept state).
    void forget(const std::string& session_id);

    /// Remembers that the CIM message `message_id` travelled as event `event_id` in the conversation, so a delivery
    /// notification naming either can be resolved. Keeps the last `limit` per conversation.
    void remember_message(const std::string& conversation_id, const std::string& message_id,
                          const std::string& event_id);
    std::optional<std::string> event_of_message(const std::string& conversation_id, const std::string& message_id) const;
    std::optional<std::string> message_of_event(const std::string& conversation_id, const std::string& event_id) const;

private:
    static constexpr std::size_t message_limit = 256;
    // Closed sessions are kept (late messages still reach their customer) but not forever: the oldest go first.
    static constexpr std::size_t closed_limit = 10000;

    struct Remembered {
        std::uint64_t seq;
        std::string message_id;
        std::string event_id;
    };

    void forget_locked(const std::string& session_id);
    void index_locked(const SessionRecord& record);

    ChannelState* state_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, SessionRecord> sessions_;           // by session id
    std::unordered_map<std::string, std::string> open_by_customer_;     // service + '\n' + channel customer id → session
    std::unordered_map<std::string, std::string> latest_by_customer_;   // same key → the last session started
    std::unordered_map<std::string, std::string> by_conversation_;      // conversation id → session id
    std::unordered_map<std::string, std::deque<Remembered>> messages_;  // by conversation, oldest first
    std::deque<std::string> closed_order_;  // closed session ids, oldest first
};

}  // namespace cim::channel
