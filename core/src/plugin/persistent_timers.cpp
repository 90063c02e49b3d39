#include "plugin/persistent_timers.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include "bus/endpoint.hpp"
#include "plugin/host_services.hpp"
#include "state/plugin_state.hpp"

namespace cim::core {

bool PersistentTimers::arm(HostServices& host, Endpoint& owner, std::uint64_t token, Record& record) {
    record.firing = ++next_firing_;
    const auto delay = static_cast<std::uint64_t>(std::max<std::int64_t>(0, record.deadline_ms - host.now_ms()));
    return host.schedule_filed_timer(owner, delay, token, this, record.firing);
}

bool PersistentTimers::schedule(PluginState& state, HostServices& host, Endpoint& owner, std::string_view scope,
                                std::int64_t deadline_ms, std::uint64_t token) {
    state.put(owner.name(), scope, persistent_timer_key(token), std::to_string(deadline_ms), /*internal=*/true);
    std::lock_guard lock(mutex_);
    Record& record = records_[{token, std::string(scope)}];
    if (record.firing != 0) host.cancel_filed_timer(this, record.firing);  // moved: the old deadline must not fire
    record.deadline_ms = deadline_ms;
    return arm(host, owner, token, record);
}

void PersistentTimers::cancel(PluginState& state, HostServices& host, const Endpoint& owner, std::uint64_t token) {
    std::vector<std::string> scopes;
    {
        std::lock_guard lock(mutex_);
        for (auto it = records_.lower_bound({token, {}}); it != records_.end() && it->first.first == token;) {
            host.cancel_filed_timer(this, it->second.firing);
            scopes.push_back(it->first.second);
            it = records_.erase(it);
        }
    }
    for (const std::string& scope : scopes) state.erase(owner.name(), scope, persistent_timer_key(token), true);
}

void PersistentTimers::fired(PluginState& state, const Endpoint& owner, std::uint64_t token, std::int64_t now_ms) {
    std::vector<std::string> due;
    {
        std::lock_guard lock(mutex_);
        for (auto it = records_.lower_bound({token, {}}); it != records_.end() && it->first.first == token;) {
            if (it->second.deadline_ms <= now_ms) {
                due.push_back(it->first.second);
                it = records_.erase(it);
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
    std::lock_guard lock(mutex_);
    for (const std::string& scope : scopes) {
        state.list(owner.name(), scope, persistent_timer_prefix(), [&](std::string_view key, std::string_view value) {
            const auto token = persistent_timer_token(key);
            std::int64_t deadline = 0;
            const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), deadline);
            if (!token || error != std::errc() || end != value.data() + value.size()) return;
            Record& record = records_[{*token, scope}];
            if (record.firing != 0) host.cancel_filed_timer(this, record.firing);
            record.deadline_ms = deadline;
            arm(host, owner, *token, record);
        }, /*include_internal=*/true);
    }
}

void PersistentTimers::disarm_all(HostServices& host) {
    host.cancel_filed_timers(this);
    std::lock_guard lock(mutex_);
    for (auto& [where, record] : records_) record.firing = 0;
}

}  // namespace cim::core
