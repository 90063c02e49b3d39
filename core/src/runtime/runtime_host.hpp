// What a runtime offers its plugins and handlers (HostServices): publishing and timers through the bus, and the
// state queries of ABI 1.1 answered from the journal.
#pragma once

#include "bus/bus.hpp"
#include "plugin/host_services.hpp"
#include "sessions/conversation_queries.hpp"
#include "sessions/session_tracker.hpp"
#include "runtime/session_stage.hpp"
#include "state/plugin_state.hpp"
#include "store/store.hpp"

namespace cim::core {

class RuntimeHost final : public HostServices {
public:
    RuntimeHost(Bus& bus, Store& store, TrackerOptions options, PluginState& state)
        : bus_(bus), store_(store), options_(options), queries_(store, options), state_(state) {}
    /// Conversations in memory are answered by `live` (the session stage) from then on. Before start.
    void attach_sessions(LiveConversations& live) { queries_.attach(live); }
    /// The session stage answering conversation_state; none in a runtime assembled without tracking.
    void set_sessions(SessionStage* sessions) noexcept { sessions_ = sessions; }

    PublishResult publish(const Endpoint* publisher, Event event) override {
        return bus_.publish_abi(publisher, std::move(event));  // plugins and handlers publish through the C ABI
    }
    std::vector<PublishResult> publish_many(const Endpoint* publisher, std::vector<Event> events) override {
        return bus_.publish_abi_many(publisher, std::move(events));
    }
    void publish_async(const Endpoint* publisher, Event event, std::function<void(PublishResult)> done) override {
        bus_.publish_abi_async(publisher, std::move(event), std::move(done));
    }
    bool schedule_timer(Endpoint& owner, std::uint64_t delay_ms, std::uint64_t token) override {
        return bus_.schedule_timer(owner, delay_ms, token);
    }
    void cancel_timer(const Endpoint& owner, std::uint64_t token) override { bus_.cancel_timer(owner, token); }
    bool schedule_filed_timer(Endpoint& owner, std::uint64_t delay_ms, std::uint64_t token, const void* file_owner,
                              std::uint64_t file_token) override {
        return bus_.schedule_timer_filed(owner, delay_ms, token, file_owner, file_token);
    }
    void cancel_filed_timer(const void* file_owner, std::uint64_t file_token) override {
        bus_.timers().cancel(file_owner, file_token);
    }
    void cancel_filed_timers(const void* file_owner) override { bus_.timers().cancel_all(file_owner); }
    std::int64_t now_ms() const override { return bus_.now_ms(); }
    void log(const Endpoint& source, cim_log_level_t level, std::string_view message) override {
        bus_.log(source, level, message);
    }
    nlohmann::json conversation(std::string_view conversation_id) override;
    nlohmann::json customer_journey(std::string_view customer_id) override;
    nlohmann::json conversation_state(std::string_view conversation_id) override;
    PluginState* plugin_state() override { return &state_; }

private:
    Bus& bus_;
    Store& store_;
    TrackerOptions options_;
    ConversationQueries queries_;  // where conversation and journey queries are answered from
    PluginState& state_;
    SessionStage* sessions_ = nullptr;
};

}  // namespace cim::core
