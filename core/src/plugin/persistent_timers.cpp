#include "plugin/persistent_timers.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include "bus/endpoint.hpp"
#include "plugin/host_services.hpp"
#include "state/plugin_state.hpp"

namespace cim::core {
namespace {

std::uint64_t delay_until(const HostServices& host, std::int64_t deadline_ms) {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, deadline_ms - host.now_ms()));
}

}  // namespace

bool PersistentTimers::schedule(PluginState& state, HostServices& host, Endpoint& owner, std::string_view scope,
                                std::int64_t deadline_ms, std::uint64_t token) {
    state.put(owner.name(), scope, persistent_timer_key(token), std::to_string(deadline_ms), /*internal=*/true);
    {
        std::lock_guard lock(mutex_);
        auto [first, last] = by_token_.equal_range(token);
        for (auto it = first; it != last;) it = it->second.first == scope ? by_token_.erase(it) : std::next(it);
        by_token_.emplace(token, std::pair{std::string(scope), deadline_ms});
    }
    // A replaced deadline's bus timer may still fire early: fired() forgets only what is due, and on_timer must
    // tolerate a token it no longer expects (abi.h, cancel_timer).
    return host.schedule_timer(owner, delay_until(host, deadline_ms), token);
}

void PersistentTimers::cancel(PluginState& state, const Endpoint& owner, std::uint64_t token) {
    std::vector<std::string> scopes;
    {
        std::lock_guard lock(mutex_);
        auto [first, last] = by_token_.equal_range(token);
        for (auto it = first; it != last; ++it) scopes.push_back(it->second.first);
        by_token_.erase(first, last);
    }
    for (const std::string& scope : scopes) state.erase(owner.name(), scope, persistent_timer_key(token), true);
}

void PersistentTimers::fired(PluginState& state, const Endpoint& owner, std::uint64_t token, std::int64_t now_ms) {
    std::vector<std::string> due;
    {
        std::lock_guard lock(mutex_);
        auto [first, last] = by_token_.equal_range(token);
        for (auto it = first; it != last;) {
            if (it->second.second <= now_ms) {
                due.push_back(it->second.first);
                it = by_token_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (const std::string& scope : due) state.erase(owner.name(), scope, persistent_timer_key(token), true);
}

void PersistentTimers::arm_all(PluginState& state, HostServices& host, Endpoint& owner) {
    std::vector<std::string> scopes = state.scopes(owner.name(), /*include_internal=*/true);
    scopes.emplace_back();  // the plugin-wide scope
    std::vector<std::pair<std::uint64_t, std::pair<std::string, std::int64_t>>> found;
    for (const std::string& scope : scopes) {
        state.list(owner.name(), scope, persistent_timer_prefix(), [&](std::string_view key, std::string_view value) {
            const auto token = persistent_timer_token(key);
            std::int64_t deadline = 0;
            const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), deadline);
            if (token && error == std::errc() && end == value.data() + value.size()) {
                found.push_back({*token, {scope, deadline}});
            }
        }, /*include_internal=*/true);
    }
    {
        std::lock_guard lock(mutex_);
        by_token_.clear();
        for (const auto& [token, record] : found) by_token_.emplace(token, record);
    }
    for (const auto& [token, record] : found) host.schedule_timer(owner, delay_until(host, record.second), token);
}

}  // namespace cim::core
