// One plugin's persistent timers (cim_host_t::schedule_timer_at, ABI 1.2): a record per (scope, token) in the
// plugin's state — so it survives a restart and goes with its conversation — and a bus timer that fires it, filed
// under this object and the record's own id, so that moving or cancelling a record cancels exactly its firing.
// At start every record is armed again; a deadline that passed while the plugin was down fires at once.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace cim::core {

class Endpoint;
class HostServices;
class PluginState;

class PersistentTimers {
public:
    /// Records (scope, token) at `deadline_ms` (replacing an earlier deadline) and arms it. Throws StateError when
    /// the store cannot write; returns false when the runtime is stopping (the record is kept for the next start).
    bool schedule(PluginState& state, HostServices& host, Endpoint& owner, std::string_view scope,
                  std::int64_t deadline_ms, std::uint64_t token);
    /// Forgets every record with `token` and cancels their firings. Throws StateError.
    void cancel(PluginState& state, HostServices& host, const Endpoint& owner, std::uint64_t token);
    /// `on_timer(token)` returned OK at `now_ms`: forgets the records with `token` that were due. Inside the hook's
    /// unit, so the forgetting commits with the hook's own writes. Throws StateError.
    void fired(PluginState& state, const Endpoint& owner, std::uint64_t token, std::int64_t now_ms);
    /// Reads every record of `owner` from `state` and arms it. After the plugin's start returned.
    void arm_all(PluginState& state, HostServices& host, Endpoint& owner);
    /// Cancels every pending firing (the plugin stops); the records stay for its next start.
    void disarm_all(HostServices& host);

private:
    struct Record {
        std::int64_t deadline_ms = 0;
        std::uint64_t firing = 0;  // what its bus timer is filed under
    };
    bool arm(HostServices& host, Endpoint& owner, std::uint64_t token, Record& record);

    std::mutex mutex_;
    std::map<std::pair<std::uint64_t, std::string>, Record> records_;  // by (token, scope)
    std::uint64_t next_firing_ = 0;
};

}  // namespace cim::core
