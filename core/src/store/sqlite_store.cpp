#include "store/sqlite_store.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/memory_store.hpp"

namespace cim::core {
namespace {

// Set on the writer's thread, where when_durable completions run: a blocking wait there would wait for itself.
thread_local bool on_writer = false;

constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS journal (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    id                 TEXT NOT NULL,
    name               TEXT NOT NULL,
    type               INTEGER NOT NULL,
    timestamp          INTEGER NOT NULL,
    conversation_id    TEXT NOT NULL,
    channel_session_id TEXT NOT NULL,
    customer_id        TEXT NOT NULL,
    emitter_id         TEXT NOT NULL,
    emitter_type       INTEGER NOT NULL,
    emitter_name       TEXT NOT NULL,
    refers_to          TEXT NOT NULL,
    data               TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_by_conversation ON journal (conversation_id, seq);
CREATE TABLE IF NOT EXISTS plugin_state (
    plugin TEXT NOT NULL,
    scope  TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (plugin, scope, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS plugin_state_by_scope ON plugin_state (scope);
)sql";

// Session snapshots (docs/store.md, "Snapshots"): per partition, the tracker's state covering the journal up to `seq`.
constexpr const char* snapshot_schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS snapshots (
    partition  INTEGER NOT NULL,
    partitions INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    body       BLOB NOT NULL,
    PRIMARY KEY (partitions, partition, seq)
);
)sql";

constexpr const char* columns = "id, name, type, timestamp, conversation_id, channel_session_id, customer_id, "
                                "emitter_id, emitter_type, emitter_name, refers_to, data";

// Owns a prepared statement for the length of a scope. Errors carry SQLite's reason only; the public methods name
// the file once.
struct Statement {
    sqlite3_stmt* handle = nullptr;
    Statement(sqlite3* db, const std::string& sql) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &handle, nullptr) != SQLITE_OK) throw StoreError(sqlite3_errmsg(db));
    }
    ~Statement() { sqlite3_finalize(handle); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
};

void exec(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error != nullptr ? error : sqlite3_errmsg(db);
        sqlite3_free(error);
        throw StoreError(message);
    }
}

// What to do about a database SQLite cannot read, said where it is found (open or restore alike).
std::string explain(sqlite3* db) {
    const int code = sqlite3_errcode(db);
    std::string reason = sqlite3_errmsg(db);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
        reason += " — it is not a cimrt journal, or it is damaged; move it aside (the runtime then starts a new, "
                  "empty journal) or put a backup in its place";
    }
    return reason;
}

sqlite3* open_database(const std::filesystem::path& path, int flags) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        std::string message = db != nullptr ? explain(db) : "out of memory";
        sqlite3_close(db);
        throw StoreError("store " + path.string() + ": cannot open: " + message);
    }
    sqlite3_busy_timeout(db, 5000);  // a reader (the CLI) and the writer may meet on the WAL's locks
    return db;
}

void bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string column_text(sqlite3_stmt* stmt, int index) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, index));
    return text != nullptr ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, index))) : std::string();
}

// Takes the owner's lock on the database file itself: flock locks the inode, so every path to it (a symlink, a hard
// link, another spelling) meets the same lock. Independent of SQLite's own POSIX locks on Linux; the fd stays open
// until after sqlite3_close, so closing it cannot drop SQLite's locks either.
int lock_database(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);  // customers' messages: owner only
    if (fd < 0) {
        throw StoreError("store " + path.string() + ": cannot open for writing: " + std::strerror(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        ::close(fd);
        if (error == EWOULDBLOCK) {
            throw StoreError("store " + path.string() + " is owned by another running cimrt (the file is locked); stop "
                             "it first, or read with `cimrt inspect` / `cimrt journal`");
        }
        throw StoreError("store " + path.string() + ": cannot lock: " + std::strerror(error));
    }
    return fd;
}

constexpr auto first_retry = std::chrono::milliseconds(10);
constexpr auto last_retry = std::chrono::seconds(1);

}  // namespace

SqliteStore::SqliteStore(const std::filesystem::path& path, const std::string& sync, std::size_t partitions,
                         StoreAccess access, std::size_t max_backlog, std::shared_ptr<spdlog::logger> logger)
    : path_(path), sync_(sync), max_backlog_(std::max<std::size_t>(max_backlog, 1)), logger_(std::move(logger)) {
    if (sync_ != "off" && sync_ != "normal" && sync_ != "full") {
        throw StoreError("store " + path.string() + ": sync must be \"off\", \"normal\" or \"full\", not \"" + sync + "\"");
    }
    for (std::size_t i = 0; i < std::max<std::size_t>(partitions, 1); ++i) {
        partitions_.push_back(std::make_unique<Partition>());
    }
    if (access == StoreAccess::read_only) return;  // readers open a connection per read_journal and never write

    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    lock_fd_ = lock_database(path);
    try {
        db_ = open_database(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
        try {
            exec(db_, "PRAGMA journal_mode=WAL");
            const std::string pragma =
                "PRAGMA synchronous=" + std::string(sync_ == "off" ? "OFF" : sync_ == "full" ? "FULL" : "NORMAL");
            exec(db_, pragma.c_str());
            exec(db_, schema_sql);
            exec(db_, snapshot_schema_sql);
        } catch (const StoreError&) {
            throw StoreError("store " + path_.string() + ": cannot open: " + explain(db_));
        }
    } catch (...) {
        sqlite3_close(db_);
        ::close(lock_fd_);
        throw;
    }
    writer_ = std::thread([this] { write_loop(); });
}

SqliteStore::~SqliteStore() {
    stopping_ = true;
    {
        std::lock_guard lock(wake_mutex_);
        wake_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
    // What the writer gave up on at stop is not on disk: its publishers hear so rather than never.
    for (const auto& p : partitions_) {
        complete(*p, 0, "store " + path_.string() + " closed before the event was written (it may be lost)");
    }
    sqlite3_close(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::uint64_t SqliteStore::append(std::size_t partition, const std::vector<EventPtr>& unit) {
    if (db_ == nullptr) throw StoreError("store " + path_.string() + " is open read-only");
    Partition& p = *partitions_[partition % partitions_.size()];
    std::uint64_t ticket = 0;
    {
        std::lock_guard lock(p.mutex);  // the whole unit under one lock: the writer takes all of it or none
        p.pending.insert(p.pending.end(), unit.begin(), unit.end());
        ticket = ++p.appended;
    }
    if (backlog_.fetch_add(unit.size(), std::memory_order_acq_rel) == 0) wake_.notify_one();
    return ticket;
}

std::uint64_t SqliteStore::append_state(std::size_t partition, const std::vector<StateWrite>& writes) {
    if (db_ == nullptr) throw StoreError("store " + path_.string() + " is open read-only");
    Partition& p = *partitions_[partition % partitions_.size()];
    std::uint64_t ticket = 0;
    {
        std::lock_guard lock(p.mutex);  // one unit: the writer takes all of it or none
        if (writes.empty()) return p.appended;
        p.pending_state.insert(p.pending_state.end(), writes.begin(), writes.end());
        ticket = ++p.appended;
    }
    if (backlog_.fetch_add(writes.size(), std::memory_order_acq_rel) == 0) wake_.notify_one();
    return ticket;
}

std::uint64_t SqliteStore::last_ticket(std::size_t partition) {
    Partition& p = *partitions_[partition % partitions_.size()];
    std::lock_guard lock(p.mutex);
    return p.appended;
}

void SqliteStore::wait_durable(std::size_t partition, std::uint64_t ticket) {
    Partition& p = *partitions_[partition % partitions_.size()];
    std::unique_lock lock(p.mutex);
    if (p.durable >= ticket) return;
    if (on_writer) {
        // A when_durable completion publishing with the blocking call would wait for the commit only it can make.
        throw StoreError("store " + path_.string() + ": a blocking publish from a publish_async completion would wait "
                         "for itself; use publish_async there");
    }
    // A waiter learns of a failure that happens while it waits, or of one already going on: either way its events
    // are not on disk now, and the publisher must hear so rather than wait for a disk that may stay full.
    const std::uint64_t failures_before = failures_.load();
    if (!failing_) {
        p.durable_changed.wait(lock, [&] { return p.durable >= ticket || failures_.load() != failures_before; });
        if (p.durable >= ticket) return;
    }
    throw StoreError(health().failure + " (the event is kept and written when the store recovers; a retry with the "
                                        "same id is safe)");
}

bool SqliteStore::on_writer_thread() const { return on_writer; }

void SqliteStore::when_durable(std::size_t partition, std::uint64_t ticket, DurableCompletion done) {
    Partition& p = *partitions_[partition % partitions_.size()];
    bool durable = false;
    {
        // Decided once, under the lock: read again after it, `failing_` may have flipped back (the writer recovered)
        // with `ticket` still not written, and the event would be acknowledged before it is on disk.
        std::lock_guard lock(p.mutex);
        durable = p.durable >= ticket;
        if (!durable && !failing_) {
            p.completions.emplace_back(ticket, std::move(done));
            return;
        }
    }
    if (durable) return done({});
    std::string failure = health().failure;
    if (failure.empty()) failure = "store " + path_.string() + ": cannot write (it has just recovered)";
    done(failure + " (the event is kept and written when the store recovers; a retry with the same id is safe)");
}

void SqliteStore::complete(Partition& p, std::uint64_t durable, const std::string& error) {
    std::vector<DurableCompletion> ready;
    {
        std::lock_guard lock(p.mutex);
        auto& pending = p.completions;
        auto kept = pending.begin();
        for (auto& entry : pending) {
            if (!error.empty() || entry.first <= durable) {
                ready.push_back(std::move(entry.second));
            } else {
                *kept++ = std::move(entry);
            }
        }
        pending.erase(kept, pending.end());
    }
    for (auto& done : ready) done(error);  // outside the lock: a completion may publish again
}

bool SqliteStore::accepting() const {
    return !failing_.load(std::memory_order_relaxed) && backlog_.load(std::memory_order_relaxed) < max_backlog_;
}

StoreHealth SqliteStore::health() const {
    std::lock_guard lock(failure_mutex_);
    if (!failing_) return {};
    return {false, failure_};
}

bool SqliteStore::flush(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (const auto& partition : partitions_) {
        Partition& p = *partition;
        wake_.notify_one();
        std::unique_lock lock(p.mutex);
        const std::uint64_t ticket = p.appended;
        if (!p.durable_changed.wait_until(lock, deadline, [&] { return p.durable >= ticket; })) return false;
    }
    return true;
}

StoreStats SqliteStore::stats() const {
    StoreStats out;
    out.backlog = backlog_.load(std::memory_order_relaxed);
    out.commits = commits_.load(std::memory_order_relaxed);
    out.entries = committed_entries_.load(std::memory_order_relaxed);
    out.commit_ns = commit_ns_.load(std::memory_order_relaxed);
    out.failed_commits = failed_commits_.load(std::memory_order_relaxed);
    return out;
}

void SqliteStore::write_loop() {
    on_writer = true;
    Batch batch;  // survives a failed commit: the retry writes the same events
    auto retry_in = first_retry;
    for (;;) {
        if (batch.size == 0 && !has_snapshots(batch)) take_pending(batch);
        if (batch.size > 0 || has_snapshots(batch)) {
            try {
                const auto started = std::chrono::steady_clock::now();
                commit(batch);
                commit_ns_.fetch_add(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - started).count()),
                                     std::memory_order_relaxed);
                commits_.fetch_add(1, std::memory_order_relaxed);
                committed_entries_.fetch_add(batch.size, std::memory_order_relaxed);
            } catch (const StoreError& e) {
                failed_commits_.fetch_add(1, std::memory_order_relaxed);
                mark_failing(e.what());
                if (stopping_) {
                    if (logger_) {
                        logger_->error("store {}: giving up at stop: {} accepted event(s) were not written",
                                       path_.string(), backlog_.load());
                    }
                    return;
                }
                // Back off while the disk stays full: an idle writer must not spin, and the failure is logged once.
                std::unique_lock lock(wake_mutex_);
                wake_.wait_for(lock, retry_in, [&] { return stopping_.load(); });
                retry_in = std::min<std::chrono::milliseconds>(retry_in * 2, last_retry);
                continue;
            }
            for (std::size_t i = 0; i < partitions_.size(); ++i) {
                if (batch.tickets[i] == 0) continue;
                Partition& p = *partitions_[i];
                {
                    std::lock_guard lock(p.mutex);
                    p.durable = batch.tickets[i];
                }
                p.durable_changed.notify_all();
                if (listener_) listener_(i, batch.tickets[i]);
                complete(p, batch.tickets[i], {});
            }
            backlog_.fetch_sub(batch.size, std::memory_order_acq_rel);
            batch = Batch{};
            if (failing_) mark_recovered();
            retry_in = first_retry;
            continue;
        }
        if (stopping_) return;  // nothing pending: drained
        // The timeout bounds the latency of a wake-up lost between an append's notify and this wait.
        std::unique_lock lock(wake_mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(2), [&] { return backlog_.load() > 0 || stopping_.load(); });
    }
}

void SqliteStore::take_pending(Batch& batch) {
    // Every partition's pending events; their tickets become durable together with this transaction.
    batch.events.assign(partitions_.size(), {});
    batch.state.assign(partitions_.size(), {});
    batch.tickets.assign(partitions_.size(), 0);
    batch.snapshots.assign(partitions_.size(), {});
    batch.size = 0;
    for (std::size_t i = 0; i < partitions_.size(); ++i) {
        Partition& p = *partitions_[i];
        std::lock_guard lock(p.mutex);
        batch.snapshots[i].swap(p.pending_snapshots);
        if (p.pending.empty() && p.pending_state.empty()) continue;
        batch.events[i].swap(p.pending);
        batch.state[i].swap(p.pending_state);
        batch.tickets[i] = p.appended;
        batch.size += batch.events[i].size() + batch.state[i].size();
    }
}

void SqliteStore::commit(const Batch& batch) {
    try {
        exec(db_, "BEGIN");
        Statement insert(db_, std::string("INSERT INTO journal (") + columns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
        if (has_snapshots(batch)) {
            // A snapshot's position is the last journal entry written before it: read inside this transaction (a
            // retried batch must not trust what a rolled-back attempt saw), then followed insert by insert.
            Statement newest(db_, "SELECT coalesce(max(seq), 0) FROM journal");
            if (sqlite3_step(newest.handle) != SQLITE_ROW) throw StoreError(sqlite3_errmsg(db_));
            last_seq_ = sqlite3_column_int64(newest.handle, 0);
        }
        for (std::size_t partition = 0; partition < batch.events.size(); ++partition) {
            const auto& events = batch.events[partition];
            const auto& snapshots = batch.snapshots[partition];
            auto next_snapshot = snapshots.begin();
            for (std::size_t index = 0; index < events.size(); ++index) {
                // A snapshot sits between the entries appended before and after it: its seq is the last one written.
                for (; next_snapshot != snapshots.end() && next_snapshot->position <= index; ++next_snapshot) {
                    write_snapshot(partition, *next_snapshot);
                }
                const Event& e = *events[index];
                sqlite3_stmt* s = insert.handle;
                bind_text(s, 1, e.id);
                bind_text(s, 2, e.name);
                sqlite3_bind_int(s, 3, static_cast<int>(e.type));
                sqlite3_bind_int64(s, 4, e.timestamp_ms);
                bind_text(s, 5, e.conversation_id);
                bind_text(s, 6, e.channel_session_id);
                bind_text(s, 7, e.customer_id);
                bind_text(s, 8, e.emitter.id);
                sqlite3_bind_int(s, 9, static_cast<int>(e.emitter.type));
                bind_text(s, 10, e.emitter.name);
                bind_text(s, 11, e.refers_to);
                bind_text(s, 12, e.data);
                if (sqlite3_step(s) != SQLITE_DONE) throw StoreError(sqlite3_errmsg(db_));
                sqlite3_reset(s);
                // Not sqlite3_last_insert_rowid at snapshot time: a snapshot's own insert changes it.
                last_seq_ = sqlite3_last_insert_rowid(db_);
            }
            for (; next_snapshot != snapshots.end(); ++next_snapshot) write_snapshot(partition, *next_snapshot);
        }
        commit_state(batch);
        exec(db_, "COMMIT");  // with synchronous=FULL this fsyncs the WAL: the durability point
    } catch (const StoreError&) {
        // SQLite may have rolled back already (SQLITE_FULL does); a second rollback is harmless.
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void SqliteStore::commit_state(const Batch& batch) {
    // Statements are prepared only when the batch holds state writes: the common batch (events only) pays nothing.
    std::unique_ptr<Statement> put, erase, erase_scope, erase_scope_all;
    for (const auto& writes : batch.state) {
        for (const StateWrite& w : writes) {
            sqlite3_stmt* s = nullptr;
            switch (w.op) {
                case StateWrite::Op::put:
                    if (!put) {
                        put = std::make_unique<Statement>(
                            db_, "INSERT OR REPLACE INTO plugin_state (plugin, scope, key, value) VALUES (?,?,?,?)");
                    }
                    s = put->handle;
                    sqlite3_bind_blob(s, 4, w.value.data(), static_cast<int>(w.value.size()), SQLITE_STATIC);
                    break;
                case StateWrite::Op::erase:
                    if (!erase) {
                        erase = std::make_unique<Statement>(
                            db_, "DELETE FROM plugin_state WHERE plugin = ? AND scope = ? AND key = ?");
                    }
                    s = erase->handle;
                    break;
                case StateWrite::Op::erase_scope:
                    if (w.plugin.empty()) {
                        if (!erase_scope_all) {
                            erase_scope_all = std::make_unique<Statement>(
                                db_, "DELETE FROM plugin_state WHERE scope = ?2");  // ?1 (the plugin) unused
                        }
                        s = erase_scope_all->handle;
                    } else {
                        if (!erase_scope) {
                            erase_scope = std::make_unique<Statement>(
                                db_, "DELETE FROM plugin_state WHERE plugin = ?1 AND scope = ?2");
                        }
                        s = erase_scope->handle;
                    }
                    break;
            }
            bind_text(s, 1, w.plugin);
            bind_text(s, 2, w.scope);
            if (w.op != StateWrite::Op::erase_scope) bind_text(s, 3, w.key);
            if (sqlite3_step(s) != SQLITE_DONE) throw StoreError(sqlite3_errmsg(db_));
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
        }
    }
}

void SqliteStore::read_state(const std::function<void(const StateWrite&)>& visit) {
    sqlite3* db = open_database(path_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    int rc = SQLITE_OK;
    try {
        try {
            Statement query(db, "SELECT plugin, scope, key, value FROM plugin_state");
            while ((rc = sqlite3_step(query.handle)) == SQLITE_ROW) {
                sqlite3_stmt* s = query.handle;
                StateWrite entry;
                entry.plugin = column_text(s, 0);
                entry.scope = column_text(s, 1);
                entry.key = column_text(s, 2);
                const auto* blob = static_cast<const char*>(sqlite3_column_blob(s, 3));
                entry.value.assign(blob != nullptr ? blob : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 3)));
                visit(entry);
            }
        } catch (const StoreError&) {
            rc = SQLITE_ERROR;
        }
        if (rc != SQLITE_DONE) throw StoreError("store " + path_.string() + ": cannot read plugin state: " + explain(db));
    } catch (...) {
        sqlite3_close(db);
        throw;
    }
    sqlite3_close(db);
}

void SqliteStore::mark_failing(const std::string& reason) {
    bool first = false;
    {
        std::lock_guard lock(failure_mutex_);
        failure_ = "store " + path_.string() + ": cannot write: " + reason;
        first = !failing_.exchange(true);
    }
    failures_.fetch_add(1);
    // Wake every waiter: its events are not on disk, and it must answer now (wait_durable checks the count).
    for (const auto& p : partitions_) {
        std::lock_guard lock(p->mutex);
        p->durable_changed.notify_all();
    }
    for (const auto& p : partitions_) {
        complete(*p, 0, health().failure + " (the event is kept and written when the store recovers; a retry with the "
                                           "same id is safe)");
    }
    if (first && logger_) {
        logger_->error("{}; refusing new events until it can write again (retrying; {} accepted event(s) wait)",
                       health().failure, backlog_.load());
    }
}

void SqliteStore::mark_recovered() {
    {
        std::lock_guard lock(failure_mutex_);
        failing_ = false;
        failure_.clear();
    }
    if (logger_) logger_->info("store {}: writing again; accepting events", path_.string());
}

void SqliteStore::read_journal(const JournalFilter& filter, const std::function<void(const Event&)>& visit) {
    // A connection of its own: WAL lets it read while the writer writes, and it never sees a half transaction.
    sqlite3* db = open_database(path_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    std::uint64_t visited = 0;
    try {
        std::string sql = std::string("SELECT seq, ") + columns + " FROM journal WHERE 1=1";
        if (filter.conversation_id) sql += " AND conversation_id = ?1";
        if (filter.customer_id) sql += " AND customer_id = ?2";
        if (filter.since_ms) sql += " AND timestamp >= ?3";
        if (filter.after_seq) sql += " AND seq > ?4";
        sql += " ORDER BY seq";
        int rc = SQLITE_OK;
        try {
            Statement query(db, sql);
            if (filter.conversation_id) bind_text(query.handle, 1, *filter.conversation_id);
            if (filter.customer_id) bind_text(query.handle, 2, *filter.customer_id);
            if (filter.since_ms) sqlite3_bind_int64(query.handle, 3, *filter.since_ms);
            if (filter.after_seq) sqlite3_bind_int64(query.handle, 4, *filter.after_seq);
            while ((rc = sqlite3_step(query.handle)) == SQLITE_ROW) {
                sqlite3_stmt* s = query.handle;
                Event e;
                e.journal_seq = sqlite3_column_int64(s, 0);
                e.id = column_text(s, 1);
                e.name = column_text(s, 2);
                e.type = static_cast<EventType>(sqlite3_column_int(s, 3));
                e.timestamp_ms = sqlite3_column_int64(s, 4);
                e.conversation_id = column_text(s, 5);
                e.channel_session_id = column_text(s, 6);
                e.customer_id = column_text(s, 7);
                e.emitter.id = column_text(s, 8);
                e.emitter.type = static_cast<EmitterType>(sqlite3_column_int(s, 9));
                e.emitter.name = column_text(s, 10);
                e.refers_to = column_text(s, 11);
                e.data = column_text(s, 12);
                ++visited;
                visit(e);
            }
        } catch (const StoreError&) {
            rc = SQLITE_ERROR;  // the statement could not be prepared: reported with SQLite's explanation below
        }
        count_journal_read(visited);
        if (rc != SQLITE_DONE) throw StoreError("store " + path_.string() + ": cannot read: " + explain(db));
    } catch (...) {
        sqlite3_close(db);
        throw;
    }
    sqlite3_close(db);
}

std::uint64_t SqliteStore::journal_size() {
    std::uint64_t n = 0;
    read_journal({}, [&](const Event&) { ++n; });
    return n;
}

bool SqliteStore::has_snapshots(const Batch& batch) {
    for (const auto& snapshots : batch.snapshots) {
        if (!snapshots.empty()) return true;
    }
    return false;
}

void SqliteStore::append_snapshot(std::size_t partition, std::string body) {
    if (db_ == nullptr) throw StoreError("store " + path_.string() + " is open read-only");
    Partition& p = *partitions_[partition % partitions_.size()];
    {
        std::lock_guard lock(p.mutex);
        p.pending_snapshots.push_back({p.pending.size(), std::move(body)});
    }
    wake_.notify_one();
}

void SqliteStore::write_snapshot(std::size_t partition, const PendingSnapshot& snapshot) {
    const std::int64_t seq = last_seq_;  // the newest journal entry of this transaction so far (commit keeps it)
    const auto partitions = static_cast<sqlite3_int64>(partitions_.size());
    Statement insert(db_, "INSERT OR REPLACE INTO snapshots (partition, partitions, seq, body) VALUES (?1, ?2, ?3, ?4)");
    sqlite3_bind_int64(insert.handle, 1, static_cast<sqlite3_int64>(partition));
    sqlite3_bind_int64(insert.handle, 2, partitions);
    sqlite3_bind_int64(insert.handle, 3, seq);
    sqlite3_bind_blob(insert.handle, 4, snapshot.body.data(), static_cast<int>(snapshot.body.size()), SQLITE_STATIC);
    if (sqlite3_step(insert.handle) != SQLITE_DONE) throw StoreError(sqlite3_errmsg(db_));
    // The newest two per partition: the newest may be damaged, the one before is the fallback. Snapshots of another
    // partition layout can never be used again.
    Statement prune(db_, "DELETE FROM snapshots WHERE partitions != ?2 OR (partition = ?1 AND seq NOT IN "
                         "(SELECT seq FROM snapshots WHERE partition = ?1 AND partitions = ?2 ORDER BY seq DESC LIMIT 2))");
    sqlite3_bind_int64(prune.handle, 1, static_cast<sqlite3_int64>(partition));
    sqlite3_bind_int64(prune.handle, 2, partitions);
    if (sqlite3_step(prune.handle) != SQLITE_DONE) throw StoreError(sqlite3_errmsg(db_));
}

void SqliteStore::read_snapshots(const std::function<bool(const PartitionSnapshot&)>& use) {
    sqlite3* db = open_database(path_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    int rc = SQLITE_OK;
    try {
        Statement query(db, "SELECT partition, partitions, seq, body FROM snapshots ORDER BY partition, seq DESC");
        std::optional<std::size_t> restored_partition;  // rows come by partition: one "done" suffices
        while ((rc = sqlite3_step(query.handle)) == SQLITE_ROW) {
            PartitionSnapshot snapshot;
            snapshot.partition = static_cast<std::size_t>(sqlite3_column_int64(query.handle, 0));
            if (restored_partition == snapshot.partition) continue;  // its body (overflow pages) is never fetched
            snapshot.partitions = static_cast<std::size_t>(sqlite3_column_int64(query.handle, 1));
            snapshot.seq = sqlite3_column_int64(query.handle, 2);
            const auto* bytes = static_cast<const char*>(sqlite3_column_blob(query.handle, 3));
            snapshot.body.assign(bytes != nullptr ? bytes : "", static_cast<std::size_t>(sqlite3_column_bytes(query.handle, 3)));
            if (use(snapshot)) restored_partition = snapshot.partition;
        }
    } catch (const StoreError&) {
        rc = SQLITE_ERROR;
    }
    if (rc != SQLITE_DONE) {
        const std::string reason = explain(db);
        sqlite3_close(db);
        throw StoreError("store " + path_.string() + ": cannot read snapshots: " + reason);
    }
    sqlite3_close(db);
}

std::unique_ptr<Store> open_store(const StoreSection& section, std::size_t partitions, StoreAccess access,
                                  std::shared_ptr<spdlog::logger> logger) {
    if (section.kind == "memory") return std::make_unique<MemoryStore>(partitions);
    if (section.kind == "sqlite") {
        return std::make_unique<SqliteStore>(section.path, section.sync, partitions, access, section.max_backlog,
                                             std::move(logger));
    }
    throw StoreError("unknown store kind '" + section.kind + "'");
}

}  // namespace cim::core
