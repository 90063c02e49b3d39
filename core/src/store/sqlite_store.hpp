// The SQLite store (DESIGN §5): the journal in one table, WAL mode, written by one writer thread in batched
// transactions (group commit), so many publishers share each commit's fsync.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "store/store.hpp"

struct sqlite3;

namespace cim::core {

class SqliteStore final : public Store {
public:
    /// Opens (creating, mode 0600: the journal holds customers' messages) the database at `path`; `sync` is "off",
    /// "normal" or "full"; at most `max_backlog` events wait for the writer before appends are refused. As owner it
    /// takes an exclusive lock on the database file itself for its lifetime (so a symlink or hard link to the same
    /// file is refused too), and a second runtime on the same journal is refused instead of silently diverging;
    /// read-only, it takes none and never writes. Throws StoreError.
    SqliteStore(const std::filesystem::path& path, const std::string& sync, std::size_t partitions, StoreAccess access,
                std::size_t max_backlog = 1024, std::shared_ptr<spdlog::logger> logger = nullptr);
    /// Writes out what is pending (unless the store is failing) and closes.
    ~SqliteStore() override;

    std::uint64_t append(std::size_t partition, const std::vector<EventPtr>& unit) override;
    std::uint64_t last_ticket(std::size_t partition) override;
    void wait_durable(std::size_t partition, std::uint64_t ticket) override;
    void when_durable(std::size_t partition, std::uint64_t ticket, DurableCompletion done) override;
    bool acknowledge_after_durable() const override { return sync_ == "full"; }
    bool on_writer_thread() const override;
    bool accepting() const override;
    StoreStats stats() const override;
    StoreHealth health() const override;
    void set_durable_listener(DurableListener listener) override { listener_ = std::move(listener); }
    bool flush(std::chrono::milliseconds limit) override;
    void read_journal(const JournalFilter& filter, const std::function<void(const Event&)>& visit) override;
    std::uint64_t journal_size() override;
    std::uint64_t append_state(std::size_t partition, const std::vector<StateWrite>& writes) override;
    void read_state(const std::function<void(const StateWrite&)>& visit) override;
    void append_snapshot(std::size_t partition, std::string body) override;
    bool keeps_snapshots() const override { return true; }
    void read_snapshots(const std::function<bool(const PartitionSnapshot&)>& use) override;

private:
    // A snapshot waiting for the writer, placed before pending[position] (position == size: after all of them).
    struct PendingSnapshot {
        std::size_t position = 0;
        std::string body;
    };
    struct Partition {
        std::mutex mutex;
        std::condition_variable durable_changed;
        std::vector<EventPtr> pending;
        std::vector<StateWrite> pending_state;       // plugin state writes, in their appended order
        std::uint64_t appended = 0;  // tickets handed out
        std::uint64_t durable = 0;   // tickets written (and synced as configured)
        std::uint64_t failures_seen = 0;  // the store's failure count when waiters last learned of one
        std::vector<std::pair<std::uint64_t, DurableCompletion>> completions;  // when_durable's, by ticket, unordered
        std::vector<PendingSnapshot> pending_snapshots;  // positioned among `pending`
    };
    // What the writer took from the partitions and commits in one transaction; kept across a failed attempt, so a
    // retry writes exactly the same events in the same order.
    struct Batch {
        std::vector<std::vector<EventPtr>> events;  // by partition
        std::vector<std::vector<StateWrite>> state;  // by partition
        std::vector<std::uint64_t> tickets;      // by partition: the last ticket the batch makes durable
        std::vector<std::vector<PendingSnapshot>> snapshots;  // by partition
        std::size_t size = 0;
    };

    void write_loop();
    void take_pending(Batch& batch);
    void commit(const Batch& batch);  // throws StoreError
    void commit_state(const Batch& batch);  // inside commit's transaction; throws StoreError
    static bool has_snapshots(const Batch& batch);
    void write_snapshot(std::size_t partition, const PendingSnapshot& snapshot);  // inside commit's transaction
    void mark_failing(const std::string& reason);
    /// Calls and forgets the completions of `p` up to `durable` (all of them with `error` when it is not empty).
    static void complete(Partition& p, std::uint64_t durable, const std::string& error);
    void mark_recovered();

    std::filesystem::path path_;
    std::string sync_;
    std::size_t max_backlog_;
    std::shared_ptr<spdlog::logger> logger_;
    int lock_fd_ = -1;  // an fd on the database file holding the owner's flock; released by close
    sqlite3* db_ = nullptr;  // the writer thread's connection
    std::int64_t last_seq_ = 0;  // the writer's: the newest journal seq of the transaction being written
    std::vector<std::unique_ptr<Partition>> partitions_;
    DurableListener listener_;

    std::atomic<std::uint64_t> backlog_{0};  // appended, not yet committed (taken or not): bounded by max_backlog_
    std::mutex wake_mutex_;
    std::condition_variable wake_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> failing_{false};
    std::atomic<std::uint64_t> failures_{0};  // how many commits have failed, ever
    mutable std::mutex failure_mutex_;
    std::string failure_;  // the latest failure's reason; guarded by failure_mutex_
    // The writer's counters (stats()): written by the writer only.
    std::atomic<std::uint64_t> commits_{0}, committed_entries_{0}, commit_ns_{0}, failed_commits_{0};
    std::thread writer_;
};

}  // namespace cim::core
