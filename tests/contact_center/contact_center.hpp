// A running contact center for tests: the four real plugins (.so from the build) loaded through the real loader into
// a runtime with a SQLite journal in a temporary folder, on free loopback ports, with a manual clock so timeouts are
// stepped, not waited for. Plus a webhook server standing in for an external connector.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bus/clock.hpp"
#include "cim/runtime/runtime.hpp"
#include "connector_fixtures.hpp"
#include "web_clients.hpp"

namespace cim::test {

/// A salted hash as `cimrt hash-password` makes, with libsodium's minimum cost so tests stay fast.
std::string password_hash(const std::string& password);

/// Records what a connector's webhook receives; answers 500 to the first `failures` requests. With a `secret`, it
/// verifies each request's signature as plugins/channel/README.md tells a receiver to, and answers 401 (recording
/// nothing) when it does not hold.
class WebhookServer {
public:
    explicit WebhookServer(int failures = 0, std::string secret = {});
    /// Requests refused for a missing, stale or wrong signature.
    std::size_t bad_signatures() const;
    ~WebhookServer();
    std::uint16_t port() const;
    /// Waits for the n-th (1-based) successfully received body; throws after `timeout`.
    nlohmann::json nth(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// Waits for a received body satisfying `matches`; throws after `timeout`.
    nlohmann::json expect(const std::string& what, const std::function<bool(const nlohmann::json&)>& matches,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));
    std::size_t attempts() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// An in-process handler that records the routing and survey events (which the conversation view, made of
/// activities, does not show), so tests can assert what the plugins published.
class EventRecorder : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override;
    void on_event(const cim::Event& event) override;
    /// Waits for an event `name` (in `conversation_id` when given) and returns {name, conversationId, emitter, data}.
    nlohmann::json expect(const std::string& name, const std::string& conversation_id = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));
    std::size_t count(const std::string& name, const std::string& conversation_id = {}) const;
    /// Every event `name` seen so far, in the order they were delivered.
    std::vector<nlohmann::json> all(const std::string& name) const;

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<nlohmann::json> seen_;
};

struct ContactCenterSetup {
    /// [[plugins.agent.agents]] tables; by default alice and bob (capacity 2, password "secret").
    std::string agents;
    std::string agent_options = "accept_timeout = \"30s\"\nqueue_timeout = \"2m\"\n";
    std::string channel_options;  ///< e.g. connectors
    std::string survey_options;
    std::string bot_options;
    std::string runtime_options;  ///< extra keys of [runtime], e.g. shards and shard_capacity
    std::string store_options;    ///< extra keys of [store], e.g. sync = "full"
    std::string extra_tables;     ///< whole tables appended to the file, e.g. "[metrics]\nlisten = ..."
    std::shared_ptr<cim::runtime::Handler> extra_handler;  ///< joins the bus before start
};

/// The runtime.toml of a contact center in a folder of its own (the journal is journal.db beside it) on these ports.
std::string contact_center_toml(const ContactCenterSetup& setup, std::uint16_t channel_port, std::uint16_t agent_port);

/// A customer's page: connected to the web chat's /ws, hello sent (with `token` and `last_seq` when reconnecting),
/// welcome received.
std::unique_ptr<WsClient> web_chat_page(std::uint16_t channel_port, const std::string& token = "",
                                        std::uint64_t last_seq = 0);
/// An agent's desk on /agent/ws, logged in (welcome received).
std::unique_ptr<WsClient> agent_desk(std::uint16_t agent_port, const std::string& agent_id,
                                     const std::string& password = "secret");

class ContactCenter {
public:
    explicit ContactCenter(ContactCenterSetup setup = {});
    ~ContactCenter();

    std::uint16_t channel_port = 0;
    std::uint16_t agent_port = 0;
    std::filesystem::path dir;
    std::unique_ptr<cim::runtime::Runtime> runtime;
    std::shared_ptr<EventRecorder> recorder = std::make_shared<EventRecorder>();

    /// Stops the runtime as SIGTERM would (drains, writes out the journal and the plugin state) and starts a new one on
    /// the same folder, store and ports, with the clock where it was: what a restart of `cimrt run` does. Pages and
    /// desks connected before are disconnected.
    void restart();

    /// Moves the runtime's clock (timers fire) and waits for what that published to be delivered.
    void advance(std::chrono::milliseconds delta);
    /// Polls the tracked state of `conversation_id` until `holds` (or fails after 5 s), and returns it.
    nlohmann::json wait_state(const std::string& conversation_id,
                              const std::function<bool(const nlohmann::json&)>& holds, const std::string& what);
    /// The conversation view (activities with their updates), once `holds`.
    nlohmann::json wait_conversation(const std::string& conversation_id,
                                     const std::function<bool(const nlohmann::json&)>& holds, const std::string& what);

    /// A customer's page: connected to /ws, hello sent, welcome received.
    std::unique_ptr<WsClient> customer(const std::string& token = "", std::uint64_t last_seq = 0);
    /// An agent's desk, logged in (welcome received).
    std::unique_ptr<WsClient> desk(const std::string& agent_id, const std::string& password = "secret");

private:
    void start_runtime(std::int64_t clock_ms);

    std::string toml_;
    std::shared_ptr<cim::runtime::Handler> extra_handler_;
    cim::core::ManualClock* clock_ = nullptr;
};

/// An [[plugins.agent.agents]] table for `id` with `capacity` and the password "secret".
std::string agent(const std::string& id, int capacity);
/// A customer who asks for an agent: the page, once the bot has said it hands over (kept open: a closed page does
/// not end the session).
std::unique_ptr<WsClient> wants_agent(ContactCenter& cc);

/// The journal's events named `name` in a conversation view's activities, updates included.
std::vector<nlohmann::json> events_named(const nlohmann::json& conversation, const std::string& name);

/// Whether the tracked state lists `participant` as an active participant.
bool has_active_participant(const nlohmann::json& state, const std::string& participant);

}  // namespace cim::test
