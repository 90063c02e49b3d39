// The store (DESIGN §5, §7): the journal of every accepted event, in order per conversation — the audit trail and
// what session state is restored from.
//
// Shaped for scale-out rather than for SQLite: events are appended per partition (a shard today, a JetStream subject
// partition later), an append is acknowledged once durable, and a partition is restored by reading its journal back.
// Appends are buffered per partition, so publishers of different conversations never contend on one lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "config/runtime_config.hpp"
#include "event/event.hpp"
#include "store/state_write.hpp"

namespace cim::core {

/// Which journal entries to read.
struct JournalFilter {
    std::optional<std::string> conversation_id;  ///< only this conversation
    std::optional<std::string> customer_id;      ///< only events carrying this customer id
    std::optional<std::int64_t> since_ms;        ///< only events stamped at or after this time
    std::optional<std::int64_t> after_seq;       ///< only entries after this journal position (a snapshot's tail)
};

/// A snapshot of one partition's session state (docs/store.md, "Snapshots"): `body` covers every journal entry of
/// the partition up to `seq`, and none after it.
struct PartitionSnapshot {
    std::size_t partition = 0;
    std::size_t partitions = 0;  ///< how many partitions the runtime had: a snapshot only fits the same layout
    std::int64_t seq = 0;
    std::string body;
};

/// How often the journal was read back, and how many entries that visited: what a query costs the store, counted so
/// tests can bound it (a plugin asking for a conversation per message must not read the journal per message).
struct JournalReads {
    std::uint64_t reads = 0;
    std::uint64_t events = 0;
};

/// A store failed (cannot open, cannot write); the message names the file and SQLite's reason.
struct StoreError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Called on the store's writer thread when partition `partition` is durable up to `ticket` (see Store::append).
using DurableListener = std::function<void(std::size_t partition, std::uint64_t ticket)>;
/// Told once whether a ticket became durable: `error` is empty when it did, the store's failure otherwise.
using DurableCompletion = std::function<void(const std::string& error)>;

/// The writer's work so far, for /metrics. A snapshot of relaxed atomics.
struct StoreStats {
    std::uint64_t backlog = 0;          ///< appended entries not yet committed
    std::uint64_t commits = 0;          ///< transactions committed
    std::uint64_t entries = 0;          ///< entries (events, state writes) those commits wrote
    std::uint64_t commit_ns = 0;        ///< time spent in them (the writer's thread), nanoseconds
    std::uint64_t failed_commits = 0;   ///< commits that failed (full disk, I/O error) and were retried
};

/// Whether a store takes more appends right now, and why not.
struct StoreHealth {
    bool writable = true;  ///< false while writes fail (a full disk, an I/O error): publishing is refused
    std::string failure;   ///< why, naming the file and the store's reason; empty when writable
};

class Store {
public:
    virtual ~Store() = default;

    /// Appends `unit` — an accepted event and everything the runtime derived from it — to partition `partition`'s
    /// journal, to be committed together, never split between commits. Units of one partition must be appended in
    /// their accepted order (the caller holds the partition's lock). Returns the unit's ticket: tickets of a
    /// partition grow by one per unit. Thread-safe across partitions. The store keeps the shared events (a reference
    /// count each, no copy) until it has written them; never touches the disk on the caller's thread.
    virtual std::uint64_t append(std::size_t partition, const std::vector<EventPtr>& unit) = 0;
    /// The last ticket handed out for `partition` (0 before the first append): waiting for it waits for everything
    /// appended so far, which is what a duplicate of an event still in flight waits for.
    virtual std::uint64_t last_ticket(std::size_t partition) = 0;
    /// Blocks until partition `partition`'s entries up to `ticket` are as durable as the configured sync level
    /// promises ("full": on disk, surviving SIGKILL and power loss as far as fsync does). Throws StoreError when the
    /// store is failing before they are: the entries are kept and written once the store recovers (in doubt, not
    /// lost), so the publisher may retry with the same event id.
    virtual void wait_durable(std::size_t partition, std::uint64_t ticket) = 0;
    /// wait_durable without the wait: calls `done` exactly once — on this thread before returning when `ticket` is
    /// already durable or the store is failing, otherwise on the writer's thread right after the commit that makes it
    /// durable (or with the failure when that commit fails, or when the store closes first). `done` must be short and
    /// must not call back into the store: the next commit waits for it. Costs one queue insert under the partition's
    /// lock. What lets many publishers share one commit without a thread each.
    virtual void when_durable(std::size_t partition, std::uint64_t ticket, DurableCompletion done) = 0;
    /// Whether publish must wait_durable before returning success (sync = "full"), and delivery wait for it too.
    virtual bool acknowledge_after_durable() const = 0;
    /// True on the thread that runs when_durable completions: a wait_durable there would wait for itself.
    virtual bool on_writer_thread() const { return false; }
    /// Whether the store takes appends: false while writes fail, or while the backlog of appended but uncommitted
    /// events is at its bound (back-pressure; `health.writable` stays true then). Cheap (atomics), for every publish.
    virtual bool accepting() const = 0;
    /// The store's state, for refusals, logs and readiness.
    virtual StoreHealth health() const = 0;
    /// The writer's counters (zero for a store without a writer).
    virtual StoreStats stats() const { return {}; }
    /// Installs the listener told of every commit. Before the first append.
    virtual void set_durable_listener(DurableListener listener) = 0;
    /// Writes out everything appended so far and waits at most `limit` for it. Returns false when something is still
    /// unwritten at the limit (the store is failing): the caller reports it.
    virtual bool flush(std::chrono::milliseconds limit = std::chrono::hours(24)) = 0;
    /// Calls `visit` for every journaled event matching `filter`, in journal order (per conversation, the accepted
    /// order), with Event::journal_seq set. Sees everything appended before the call once flushed.
    virtual void read_journal(const JournalFilter& filter, const std::function<void(const Event&)>& visit) = 0;
    /// Number of journaled events.
    virtual std::uint64_t journal_size() = 0;

    /// Appends `writes` — the plugin state changes of one hook call, or one call from a plugin's own thread — to
    /// partition `partition` as one unit: committed together (and with the events appended around them), in order,
    /// never split. Same tickets, same durability and same back-pressure as append(). Costs a copy into the writer's
    /// buffer.
    virtual std::uint64_t append_state(std::size_t partition, const std::vector<StateWrite>& writes) = 0;
    /// Calls `visit` with a put for every plugin state entry the store holds (as of its last commit). At start.
    virtual void read_state(const std::function<void(const StateWrite&)>& visit) = 0;

    /// Appends a snapshot of partition `partition`'s state, positioned after everything appended to the partition so
    /// far: the store records it with the journal position of the last entry before it, in the same transaction as
    /// that entry, and keeps the newest two per partition. Never touches the disk on the caller's thread. A store
    /// that keeps no snapshots (memory) ignores it.
    virtual void append_snapshot(std::size_t /*partition*/, std::string /*body*/) {}
    /// Whether append_snapshot keeps anything (so a caller need not serialise for nothing).
    virtual bool keeps_snapshots() const { return false; }
    /// Offers the kept snapshots to `use`, newest first within each partition, until `use` returns true for one of
    /// the partition's (it restored from it): the older snapshots of that partition are then skipped unread, so a
    /// start reads one body per partition — the fallback to an older one costs only when the newest is unusable.
    /// Nothing for a store that keeps none. Throws StoreError when the store cannot be read.
    virtual void read_snapshots(const std::function<bool(const PartitionSnapshot&)>& /*use*/) {}

    /// Reads of the journal so far (read_journal and what uses it), and the entries they visited. Thread-safe.
    JournalReads journal_reads() const noexcept {
        return {journal_reads_.load(std::memory_order_relaxed), journal_events_read_.load(std::memory_order_relaxed)};
    }

protected:
    /// Implementations call it once per read_journal with the entries it visited.
    void count_journal_read(std::uint64_t events) noexcept {
        journal_reads_.fetch_add(1, std::memory_order_relaxed);
        journal_events_read_.fetch_add(events, std::memory_order_relaxed);
    }

private:
    std::atomic<std::uint64_t> journal_reads_{0};
    std::atomic<std::uint64_t> journal_events_read_{0};
};

/// How a store is opened: by a runtime, which owns its journal, or by a reader (`cimrt inspect`, `cimrt journal`).
enum class StoreAccess {
    owner,      ///< appends; one runtime at a time (a second one is refused: two trackers on one journal diverge)
    read_only,  ///< reads the journal; any number, also while a runtime owns the store
};

/// Opens the store `section` describes: "memory", or "sqlite" at section.path (folders created as needed).
/// `partitions` is the number of shards that will append; `logger` (may be null) hears of failures and recoveries,
/// once per transition. Throws StoreError, e.g. when another runtime owns it.
std::unique_ptr<Store> open_store(const StoreSection& section, std::size_t partitions,
                                  StoreAccess access = StoreAccess::owner,
                                  std::shared_ptr<spdlog::logger> logger = nullptr);

}  // namespace cim::core
