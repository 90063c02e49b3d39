// The store (DESIGN §5, §7): the journal of every accepted event, in order per conversation — the audit trail and
// what session state is restored from.
//
// Shaped for scale-out rather than for SQLite: events are appended per partition (a shard today, a JetStream subject
// partition later), an append is acknowledged once durable, and a partition is restored by reading its journal back.
// Appends are buffered per partition, so publishers of different conversations never contend on one lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/runtime_config.hpp"
#include "event/event.hpp"

namespace cim::core {

/// Which journal entries to read.
struct JournalFilter {
    std::optional<std::string> conversation_id;  ///< only this conversation
    std::optional<std::string> customer_id;      ///< only events carrying this customer id
    std::optional<std::int64_t> since_ms;        ///< only events stamped at or after this time
};

/// A store failed (cannot open, cannot write); the message names the file and SQLite's reason.
struct StoreError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Store {
public:
    virtual ~Store() = default;

    /// Appends `event` to partition `partition`'s journal. Events of one partition must be appended in their accepted
    /// order (the caller holds the partition's lock); they are journaled in that order. Returns a ticket for
    /// wait_durable. Thread-safe across partitions.
    virtual std::uint64_t append(std::size_t partition, const Event& event) = 0;
    /// Blocks until partition `partition`'s entries up to `ticket` are as durable as the configured sync level
    /// promises ("full": on disk, surviving SIGKILL and power loss as far as fsync does). Throws StoreError when the
    /// write failed.
    virtual void wait_durable(std::size_t partition, std::uint64_t ticket) = 0;
    /// Whether publish must wait_durable before returning success (sync = "full").
    virtual bool acknowledge_after_durable() const = 0;
    /// Writes out everything appended so far and waits for it.
    virtual void flush() = 0;
    /// Calls `visit` for every journaled event matching `filter`, in journal order (per conversation, the accepted
    /// order). Sees everything appended before the call once flushed.
    virtual void read_journal(const JournalFilter& filter, const std::function<void(const Event&)>& visit) = 0;
    /// Number of journaled events.
    virtual std::uint64_t journal_size() = 0;
};

/// How a store is opened: by a runtime, which owns its journal, or by a reader (`cimrt inspect`, `cimrt journal`).
enum class StoreAccess {
    owner,      ///< appends; one runtime at a time (a second one is refused: two trackers on one journal diverge)
    read_only,  ///< reads the journal; any number, also while a runtime owns the store
};

/// Opens the store `section` describes: "memory", or "sqlite" at section.path (folders created as needed).
/// `partitions` is the number of shards that will append. Throws StoreError, e.g. when another runtime owns it.
std::unique_ptr<Store> open_store(const StoreSection& section, std::size_t partitions,
                                  StoreAccess access = StoreAccess::owner);

}  // namespace cim::core
