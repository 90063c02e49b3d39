// Plugin state kept by the runtime (ABI 1.2, cim_host_t::state_*): every plugin's entries, scoped to a conversation or
// to the plugin as a whole, held in memory for reads and written through to the store for restarts.
//
// Layout follows the bus: one table per partition (the conversation's shard; plugin-wide entries live in the
// partition the empty scope hashes to), each behind its own reader/writer lock, so plugins working on different
// conversations never meet on a lock. The store holds the same entries as a materialised table: start-up reads it
// back, nothing is replayed.
//
// Atomicity: the writes one hook call makes (on_event, on_timer) are grouped by a HookUnit on that thread and handed
// to the store as one unit per partition when the hook returns; a write made outside any hook is a unit of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "cim/abi.h"
#include "store/store.hpp"

namespace cim::core {

/// A state call the runtime refuses; `code` is what the C ABI returns (CIM_INVALID, CIM_ERROR).
struct StateError : std::runtime_error {
    StateError(cim_rc_t code_in, const std::string& message) : std::runtime_error(message), code(code_in) {}
    cim_rc_t code;
};

class PluginState {
public:
    /// Limits of the ABI (abi.h, "Plugin state").
    static constexpr std::size_t max_key_bytes = 1024;
    static constexpr std::size_t max_value_bytes = 1024 * 1024;

    /// Which partition a scope belongs to (the bus's shard_index).
    using PartitionOf = std::function<std::size_t(std::string_view scope)>;

    /// `store` must outlive this; `partitions` = the store's partition count.
    PluginState(Store& store, std::size_t partitions, PartitionOf partition_of,
                std::shared_ptr<spdlog::logger> logger = nullptr);
    ~PluginState();

    /// Loads every entry the store holds. Before the first plugin starts. Returns the number of entries.
    std::size_t restore();

    /// The value of (plugin, scope, key), or nullopt. Throws StateError for a bad key.
    std::optional<std::string> get(std::string_view plugin, std::string_view scope, std::string_view key) const;
    /// Calls `visit` for each entry of (plugin, scope) whose key starts with `prefix`, in key order; internal keys
    /// (persistent timers) excluded unless `include_internal`. `visit` runs under the partition's read lock.
    void list(std::string_view plugin, std::string_view scope, std::string_view prefix,
              const std::function<void(std::string_view key, std::string_view value)>& visit,
              bool include_internal = false) const;
    /// Every non-empty scope in which `plugin` has an entry (internal keys counted only with `include_internal`).
    std::vector<std::string> scopes(std::string_view plugin, bool include_internal = false) const;

    /// Creates or replaces an entry. Throws StateError: CIM_INVALID (bad key or value), CIM_ERROR (the store cannot
    /// write: nothing changed). An internal key (persistent timers) is written with `internal`.
    void put(std::string_view plugin, std::string_view scope, std::string_view key, std::string_view value,
             bool internal = false);
    /// Deletes an entry (none is fine). Throws StateError as put().
    void erase(std::string_view plugin, std::string_view scope, std::string_view key, bool internal = false);
    /// Drops every plugin's entries of `scope`: the conversation left the runtime (evicted after it closed). Does
    /// not wait for the store, even with sync = "full" (it runs on a shard's worker).
    void drop_scope(std::string_view scope);

    /// Entries held, across partitions (tests, metrics).
    std::size_t size() const;

    /// Groups the state writes made on the calling thread while it lives into one unit per partition, handed to the
    /// store when it ends; with sync = "full" it waits for their commit unless `wait` is false. Wraps every on_event
    /// and on_timer call (waiting), and every publish_async completion (not waiting: it runs on the store's writer
    /// thread, which makes that commit itself).
    class HookUnit {
    public:
        explicit HookUnit(PluginState& state, bool wait = true);
        /// Commits; a store failure is logged (the writes are kept by the store and written when it recovers).
        ~HookUnit();
        HookUnit(const HookUnit&) = delete;
        HookUnit& operator=(const HookUnit&) = delete;

    private:
        friend class PluginState;
        PluginState& state_;
        HookUnit* outer_;
        bool wait_;
        std::vector<std::pair<std::size_t, std::vector<StateWrite>>> writes_;  // by partition, in first-write order
    };

private:
    struct Partition {
        mutable std::shared_mutex mutex;
        std::map<std::string, std::string, std::less<>> entries;  // by encoded (plugin, scope, key)
        std::set<std::string, std::less<>> plugins;                // every plugin that ever wrote here (a handful)
    };

    void check_writable() const;
    void write(StateWrite write);
    /// Hands `writes` to the store as one unit; with sync = "full" and `wait`, returns once they are on disk.
    void commit(std::size_t partition, const std::vector<StateWrite>& writes, bool wait = true);
    Partition& partition_of(std::string_view scope) const;

    Store& store_;
    PartitionOf partition_of_;
    std::shared_ptr<spdlog::logger> logger_;
    std::vector<std::unique_ptr<Partition>> partitions_;
};

/// What every persistent timer's internal key starts with.
std::string_view persistent_timer_prefix() noexcept;
/// The internal key of a persistent timer with `token`; never a valid plugin key (it starts with NUL).
std::string persistent_timer_key(std::uint64_t token);
/// The token of an internal timer key, or nullopt for any other key.
std::optional<std::uint64_t> persistent_timer_token(std::string_view key);

}  // namespace cim::core
