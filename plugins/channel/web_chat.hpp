// The built-in web chat channel: customers chat from the page at `/` over a WebSocket at `/ws`.
//
// A visitor is known by a secret token the page keeps (localStorage) and presents in its first frame; the socket is
// bound to that visitor's conversation by the server, never by anything the page names, so a page cannot reach
// another customer's conversation. Everything shown to a visitor is numbered (seq) and kept (bounded), so a page that
// reconnects says the last seq it saw and receives what it missed. Protocol: plugins/channel/README.md.
//
// Visitors and the last `history_kept` items of each are written through to the runtime's plugin state
// (channel_state.hpp) and read back by restore(), so a page that reconnects after a runtime restart is still the same
// visitor with the same history. Only the token's hash is kept: in memory and in the state, visitors are found by it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "channel_config.hpp"
#include "channel_state.hpp"
#include "customer_ingest.hpp"
#include "plugin_common/event_loop.hpp"
#include "plugin_common/frame_dispatch.hpp"
#include "plugin_common/http_server.hpp"
#include "plugin_common/rate_limit.hpp"

namespace cim::channel {

class WebChat {
public:
    /// Called on the loop's thread when a message for a visitor cannot be shown (the visitor was forgotten past
    /// max_visitors): `event_id` is the message's event, `reason` why.
    using Undeliverable = std::function<void(const SessionRecord&, const std::string& event_id, const std::string& reason)>;

    /// `state` may be null (memory only, as in the fuzzers).
    WebChat(const ChannelConfig& config, CustomerIngest& ingest, SessionDirectory& directory, web::EventLoop& loop,
            ChannelState* state = nullptr)
        : config_(config),
          ingest_(ingest),
          directory_(directory),
          loop_(loop),
          state_(state),
          new_visitors_(static_cast<double>(config.new_visitors_per_minute), std::chrono::minutes(1)),
          frames_(frame_table()) {}

    /// Who hears of messages that could not be shown; set before the server starts.
    void on_undeliverable(Undeliverable handler) { undeliverable_ = std::move(handler); }

    /// Takes back the visitors the plugin state kept. In start(), before the server and the loop run.
    void restore(std::vector<ChannelState::Visitor> visitors);
    /// Visitors known (for the start-up log). Only before the loop runs, or on its thread.
    std::size_t size() const { return visitors_.size(); }

    /// The WebSocket route to register with the server.
    web::WebSocketRoute route();

    /// Shows `item` (a server → page frame without seq) to the visitor of `record`. Thread-safe.
    void deliver(const SessionRecord& record, nlohmann::json item);
    /// The same for a message travelling in event `event_id`: when there is no visitor to show it to, the
    /// Undeliverable handler hears of it (a message never vanishes silently). Thread-safe.
    void deliver_message(const SessionRecord& record, nlohmann::json item, const std::string& event_id);

private:
    struct Visitor {
        std::string hash;         // token_hash() of the secret token, which is kept nowhere
        std::string visitor_id;   // the channelCustomerIdentifier: public, unlike the token
        std::string customer_id;
        std::uint64_t next_seq = 1;
        std::deque<nlohmann::json> history;
        // One live socket per visitor: a page that opens another replaces the first, so one token cannot multiply
        // every message it receives by any number of sockets.
        web::ConnectionPtr connection;
        common::TokenBucket messages{1, std::chrono::minutes(1), 1};  // set to the configured rate when made
        std::unordered_set<std::string> read;  // message ids already reported read
        std::deque<std::string> read_order;     // the same, oldest first: what is kept, and what goes first
        std::uint64_t last_active = 0;          // for evicting the longest-gone visitor when there are too many
    };

    // The page's frames by type; every one but hello needs the socket's visitor.
    common::FrameDispatch frame_table();

    // All below run on the loop's thread.
    void on_close(const web::ConnectionPtr& connection);
    void hello(const web::ConnectionPtr& connection, const nlohmann::json& frame);
    void customer_message(Visitor& visitor, const web::ConnectionPtr& connection, const nlohmann::json& frame,
                          bool is_reply);
    void mark_read(Visitor& visitor, const web::ConnectionPtr& connection, const nlohmann::json& frame);
    void end(Visitor& visitor, const web::ConnectionPtr& connection);
    void append(Visitor& visitor, nlohmann::json item);
    Visitor* visitor_of(const web::ConnectionPtr& connection);
    bool make_room_for_a_visitor();
    Visitor make_visitor() const;
    void keep_visitor(const Visitor& visitor);

    const ChannelConfig& config_;
    CustomerIngest& ingest_;
    SessionDirectory& directory_;
    web::EventLoop& loop_;
    ChannelState* state_;
    Undeliverable undeliverable_;
    common::KeyedRateLimit new_visitors_;  // per client address
    std::unordered_map<std::string, Visitor> visitors_;                  // by token hash
    std::unordered_map<std::string, std::string> hash_of_visitor_;       // visitor id → token hash
    std::unordered_map<std::uint64_t, std::string> hash_of_connection_;
    std::uint64_t activity_ = 0;  // a logical clock for last_active
    common::FrameDispatch frames_;
};

/// A `{"type":"error","error":...}` frame.
std::string error_frame(std::string_view message);

}  // namespace cim::channel
