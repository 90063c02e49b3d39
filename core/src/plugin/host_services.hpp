// What the runtime offers a plugin instance behind the cim_host_t callbacks. The bus implements it; the plugin
// instance only translates between the C ABI and these calls.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bus/publish_result.hpp"
#include "cim/abi.h"
#include "event/event.hpp"

namespace cim::core {

class Endpoint;
class PluginState;

class HostServices {
public:
    virtual ~HostServices() = default;
    /// Validates, stamps and enqueues `event` on behalf of `publisher` (nullptr = an external source, which may
    /// publish any catalogue event). Thread-safe.
    virtual PublishResult publish(const Endpoint* publisher, Event event) = 0;
    /// publish() whose outcome goes to `done`, once, when the event is as durable as promised (Bus::publish_async:
    /// possibly before this returns, otherwise on the store's writer thread). Thread-safe.
    /// publish() of a batch (Bus::publish_many): results[i] answers events[i]. Thread-safe.
    virtual std::vector<PublishResult> publish_many(const Endpoint* publisher, std::vector<Event> events) {
        std::vector<PublishResult> results;
        for (auto& event : events) results.push_back(publish(publisher, std::move(event)));
        return results;
    }
    virtual void publish_async(const Endpoint* publisher, Event event, std::function<void(PublishResult)> done) {
        done(publish(publisher, std::move(event)));
    }
    /// Calls `owner.fire_timer(token)` after `delay_ms` of the runtime's clock. False when the runtime is stopping.
    virtual bool schedule_timer(Endpoint& owner, std::uint64_t delay_ms, std::uint64_t token) = 0;
    /// Cancels every pending timer of `owner` with `token`.
    virtual void cancel_timer(const Endpoint& owner, std::uint64_t token) = 0;
    /// As schedule_timer, but filed under (`file_owner`, `file_token`) for cancel_filed_timer: a persistent timer's
    /// firing, which moving it must cancel without touching the plugin's other timers of the same token.
    virtual bool schedule_filed_timer(Endpoint& owner, std::uint64_t delay_ms, std::uint64_t token,
                                      const void* file_owner, std::uint64_t file_token) = 0;
    /// Cancels the timers filed under (`file_owner`, `file_token`).
    virtual void cancel_filed_timer(const void* file_owner, std::uint64_t file_token) = 0;
    /// Cancels every timer filed under `file_owner`.
    virtual void cancel_filed_timers(const void* file_owner) = 0;
    /// The runtime's clock, ms since the Unix epoch.
    virtual std::int64_t now_ms() const = 0;
    /// A log line on behalf of `source`.
    virtual void log(const Endpoint& source, cim_log_level_t level, std::string_view message) = 0;
    /// The conversation with its timeline (cim_host_t::get_conversation), or null when unknown. Throws on a store
    /// failure.
    virtual nlohmann::json conversation(std::string_view conversation_id) = 0;
    /// The customer's journey (cim_host_t::get_customer_journey). Throws on a store failure.
    virtual nlohmann::json customer_journey(std::string_view customer_id) = 0;
    /// The conversation's tracked state without its timeline (cim_host_t::get_conversation_state), or null when the
    /// runtime tracks no such conversation.
    virtual nlohmann::json conversation_state(std::string_view /*conversation_id*/) { return nullptr; }
    /// The plugin state table behind cim_host_t::state_* (ABI 1.2); null when this host keeps none.
    virtual PluginState* plugin_state() { return nullptr; }
};

}  // namespace cim::core
