// What the channel keeps in the runtime's plugin state (ABI 1.2), so that a restart loses nothing a customer relies
// on: the layout of its keys and the encoding of their values. The in-memory indexes (SessionDirectory, WebChat,
// WebhookSender) are rebuilt from it in start() and write every change through it; the runtime's state is the source
// of truth, the indexes are what lookups read.
//
// Conversation scope — dropped by the runtime with the conversation, so none of it outlives what it belongs to:
//   "session"            {service, channelCustomerId, customerId, sessionId, open, started}
//   "msg/<seq>"          {m, e}: CIM message id ↔ event id, the conversation's last 256 (a ring: seq - 256 erased)
//   "webhook/<seq>"      {eventId, body}: a webhook delivery not yet delivered nor given up
// Plugin scope — bounded by max_visitors: a visitor forgotten in memory is erased here too:
//   "visitor/<h>"        {visitorId, customerId, read: [message ids]}    h = hex SHA-256 of the visitor's token
//   "history/<h>/<seq>"  a frame shown to the visitor (with its seq): the last history_kept (a ring)
// The token itself is a bearer secret and is never stored: a page proves who it is by presenting it, and its hash
// finds the visitor.
//
// Thread-safety: every call may come from any thread; none takes a plugin lock (callers call these after releasing
// theirs). A write the store refuses (a full disk) is logged and dropped: the customer is still served now, only that
// item would not survive a restart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <cim/host.hpp>
#include <nlohmann/json.hpp>

#include "session_directory.hpp"

namespace cim::channel {

/// Hex SHA-256 of a web chat token: how a visitor is found without keeping the secret.
std::string token_hash(std::string_view token);

class ChannelState {
public:
    explicit ChannelState(const cim::Host& host) : host_(host) {}

    /// False on a host older than ABI 1.2: then every call below does nothing and restore() finds nothing.
    bool enabled() const { return host_.has_state(); }

    void put_session(const SessionRecord& record);
    void erase_session(const std::string& conversation_id);
    void put_message(const std::string& conversation_id, std::uint64_t seq, const std::string& message_id,
                     const std::string& event_id);
    void erase_message(const std::string& conversation_id, std::uint64_t seq);

    void put_delivery(const std::string& conversation_id, std::uint64_t seq, const std::string& event_id,
                      const std::string& body);
    void erase_delivery(const std::string& conversation_id, std::uint64_t seq);

    void put_visitor(const std::string& hash, const std::string& visitor_id, const std::string& customer_id,
                     const std::vector<std::string>& read);
    void put_history(const std::string& hash, const nlohmann::json& item);
    void erase_history(const std::string& hash, std::uint64_t seq);
    /// The visitor and all its history.
    void erase_visitor(const std::string& hash);

    struct Delivery {
        std::string conversation_id;
        std::uint64_t seq = 0;
        std::string event_id;
        std::string body;
    };
    struct Visitor {
        std::string hash;
        std::string visitor_id;
        std::string customer_id;
        std::vector<std::string> read;
        std::vector<nlohmann::json> history;  // oldest first
    };
    struct Restored {
        std::vector<KeptSession> sessions;
        std::vector<Delivery> deliveries;  // in seq order
        std::vector<Visitor> visitors;
    };
    /// Everything kept, read back in start(). Cost: O(the channel's entries). Entries that do not parse are logged
    /// and skipped.
    Restored restore() const;

private:
    void put(std::string_view scope, const std::string& key, const std::string& value) const;
    void erase(std::string_view scope, const std::string& key) const;

    const cim::Host& host_;
};

}  // namespace cim::channel
