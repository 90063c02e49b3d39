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

#include "store/store.hpp"

struct sqlite3;

namespace cim::core {

class SqliteStore final : public Store {
public:
    /// Opens (creating) the database at `path`; `sync` is "off", "normal" or "full". As owner it takes an exclusive
    /// lock on "<path>.lock" for its lifetime, so a second runtime on the same journal is refused instead of silently
    /// diverging; read-only, it takes none and never writes. Throws StoreError.
    SqliteStore(const std::filesystem::path& path, const std::string& sync, std::size_t partitions, StoreAccess access);
    /// Writes out what is pending and closes.
    ~SqliteStore() override;

    std::uint64_t append(std::size_t partition, const Event& event) override;
    void wait_durable(std::size_t partition, std::uint64_t ticket) override;
    bool acknowledge_after_durable() const override { return sync_ == "full"; }
    void flush() override;
    void read_journal(const JournalFilter& filter, const std::function<void(const Event&)>& visit) override;
    std::uint64_t journal_size() override;

private:
    struct Partition {
        std::mutex mutex;
        std::condition_variable durable_changed;
        std::vector<Event> pending;
        std::uint64_t appended = 0;  // tickets handed out
        std::uint64_t durable = 0;   // tickets written (and synced as configured)
    };

    void write_loop();
    bool write_pending();  // one batch; false when nothing was pending

    std::filesystem::path path_;
    std::string sync_;
    int lock_fd_ = -1;  // the owner's flock on "<path>.lock"; released by close
    sqlite3* db_ = nullptr;  // the writer thread's connection
    std::vector<std::unique_ptr<Partition>> partitions_;

    std::atomic<std::uint64_t> pending_count_{0};
    std::mutex wake_mutex_;
    std::condition_variable wake_;
    std::atomic<bool> stopping_{false};
    std::string failure_;  // set once by the writer when a write fails; guarded by each partition's mutex on read
    std::atomic<bool> failed_{false};
    std::thread writer_;
};

}  // namespace cim::core
