#include "store/sqlite_store.hpp"

#include <chrono>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/memory_store.hpp"

namespace cim::core {
namespace {

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
)sql";

constexpr const char* columns = "id, name, type, timestamp, conversation_id, channel_session_id, customer_id, "
                                "emitter_id, emitter_type, emitter_name, refers_to, data";

// Owns a prepared statement for the length of a scope.
struct Statement {
    sqlite3_stmt* handle = nullptr;
    Statement(sqlite3* db, const std::string& sql, const std::filesystem::path& path) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &handle, nullptr) != SQLITE_OK) {
            throw StoreError("store " + path.string() + ": " + sqlite3_errmsg(db));
        }
    }
    ~Statement() { sqlite3_finalize(handle); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
};

void exec(sqlite3* db, const char* sql, const std::filesystem::path& path) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error != nullptr ? error : sqlite3_errmsg(db);
        sqlite3_free(error);
        throw StoreError("store " + path.string() + ": " + message);
    }
}

sqlite3* open_database(const std::filesystem::path& path, int flags) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
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

}  // namespace

SqliteStore::SqliteStore(const std::filesystem::path& path, const std::string& sync, std::size_t partitions,
                         StoreAccess access)
    : path_(path), sync_(sync) {
    if (sync_ != "off" && sync_ != "normal" && sync_ != "full") {
        throw StoreError("store " + path.string() + ": sync must be \"off\", \"normal\" or \"full\", not \"" + sync + "\"");
    }
    for (std::size_t i = 0; i < std::max<std::size_t>(partitions, 1); ++i) {
        partitions_.push_back(std::make_unique<Partition>());
    }
    if (access == StoreAccess::read_only) return;  // readers open a connection per read_journal and never write

    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    const std::string lock_path = path.string() + ".lock";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        if (lock_fd_ >= 0) ::close(lock_fd_);
        throw StoreError("store " + path.string() + " is owned by another running cimrt (" + lock_path +
                         " is locked); stop it first, or read with `cimrt inspect` / `cimrt journal`");
    }
    db_ = open_database(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    try {
        exec(db_, "PRAGMA journal_mode=WAL", path_);
        const std::string pragma = "PRAGMA synchronous=" + std::string(sync_ == "off" ? "OFF" : sync_ == "full" ? "FULL" : "NORMAL");
        exec(db_, pragma.c_str(), path_);
        exec(db_, schema_sql, path_);
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
    sqlite3_close(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::uint64_t SqliteStore::append(std::size_t partition, const Event& event) {
    if (db_ == nullptr) throw StoreError("store " + path_.string() + " is open read-only");
    Partition& p = *partitions_[partition % partitions_.size()];
    std::uint64_t ticket = 0;
    {
        std::lock_guard lock(p.mutex);
        p.pending.push_back(event);
        ticket = ++p.appended;
    }
    if (pending_count_.fetch_add(1, std::memory_order_acq_rel) == 0) wake_.notify_one();
    return ticket;
}

void SqliteStore::wait_durable(std::size_t partition, std::uint64_t ticket) {
    Partition& p = *partitions_[partition % partitions_.size()];
    std::unique_lock lock(p.mutex);
    p.durable_changed.wait(lock, [&] { return p.durable >= ticket || failed_.load(); });
    if (p.durable < ticket) throw StoreError("store " + path_.string() + ": " + failure_);
}

void SqliteStore::flush() {
    for (std::size_t i = 0; i < partitions_.size(); ++i) {
        std::uint64_t ticket = 0;
        {
            std::lock_guard lock(partitions_[i]->mutex);
            ticket = partitions_[i]->appended;
        }
        if (pending_count_.load() > 0) wake_.notify_one();
        wait_durable(i, ticket);
    }
}

void SqliteStore::write_loop() {
    for (;;) {
        const bool wrote = !failed_ && write_pending();
        if (wrote) continue;
        if (stopping_) {
            if (!failed_ && pending_count_.load() > 0) continue;  // drain before leaving
            return;
        }
        // The timeout bounds the latency of a wake-up lost between an append's notify and this wait.
        std::unique_lock lock(wake_mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(2), [&] { return pending_count_.load() > 0 || stopping_.load(); });
    }
}

bool SqliteStore::write_pending() {
    // Take every partition's pending events; their tickets become durable together with this transaction.
    std::vector<std::vector<Event>> batches(partitions_.size());
    std::vector<std::uint64_t> tickets(partitions_.size(), 0);
    std::size_t total = 0;
    for (std::size_t i = 0; i < partitions_.size(); ++i) {
        Partition& p = *partitions_[i];
        std::lock_guard lock(p.mutex);
        if (p.pending.empty()) continue;
        batches[i].swap(p.pending);
        tickets[i] = p.appended;
        total += batches[i].size();
    }
    if (total == 0) return false;
    pending_count_.fetch_sub(total, std::memory_order_acq_rel);

    try {
        exec(db_, "BEGIN", path_);
        Statement insert(db_, std::string("INSERT INTO journal (") + columns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", path_);
        for (const auto& batch : batches) {
            for (const Event& e : batch) {
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
                if (sqlite3_step(s) != SQLITE_DONE) throw StoreError(std::string("insert: ") + sqlite3_errmsg(db_));
                sqlite3_reset(s);
            }
        }
        exec(db_, "COMMIT", path_);  // with synchronous=FULL this fsyncs the WAL: the durability point
    } catch (const std::exception& e) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        // A store that cannot write must not pretend: every waiting and future publisher learns why.
        failure_ = e.what();
        failed_ = true;
    }
    for (std::size_t i = 0; i < partitions_.size(); ++i) {
        if (tickets[i] == 0) continue;
        Partition& p = *partitions_[i];
        {
            std::lock_guard lock(p.mutex);
            if (!failed_) p.durable = tickets[i];
        }
        p.durable_changed.notify_all();
    }
    return true;
}

void SqliteStore::read_journal(const JournalFilter& filter, const std::function<void(const Event&)>& visit) {
    // A connection of its own: WAL lets it read while the writer writes, and it never sees a half transaction.
    sqlite3* db = open_database(path_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    try {
        std::string sql = std::string("SELECT ") + columns + " FROM journal WHERE 1=1";
        if (filter.conversation_id) sql += " AND conversation_id = ?1";
        if (filter.customer_id) sql += " AND customer_id = ?2";
        if (filter.since_ms) sql += " AND timestamp >= ?3";
        sql += " ORDER BY seq";
        Statement query(db, sql, path_);
        if (filter.conversation_id) bind_text(query.handle, 1, *filter.conversation_id);
        if (filter.customer_id) bind_text(query.handle, 2, *filter.customer_id);
        if (filter.since_ms) sqlite3_bind_int64(query.handle, 3, *filter.since_ms);
        int rc = SQLITE_OK;
        while ((rc = sqlite3_step(query.handle)) == SQLITE_ROW) {
            sqlite3_stmt* s = query.handle;
            Event e;
            e.id = column_text(s, 0);
            e.name = column_text(s, 1);
            e.type = static_cast<EventType>(sqlite3_column_int(s, 2));
            e.timestamp_ms = sqlite3_column_int64(s, 3);
            e.conversation_id = column_text(s, 4);
            e.channel_session_id = column_text(s, 5);
            e.customer_id = column_text(s, 6);
            e.emitter.id = column_text(s, 7);
            e.emitter.type = static_cast<EmitterType>(sqlite3_column_int(s, 8));
            e.emitter.name = column_text(s, 9);
            e.refers_to = column_text(s, 10);
            e.data = column_text(s, 11);
            visit(e);
        }
        if (rc != SQLITE_DONE) throw StoreError("store " + path_.string() + ": read: " + sqlite3_errmsg(db));
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

std::unique_ptr<Store> open_store(const StoreSection& section, std::size_t partitions, StoreAccess access) {
    if (section.kind == "memory") return std::make_unique<MemoryStore>(partitions);
    if (section.kind == "sqlite") return std::make_unique<SqliteStore>(section.path, section.sync, partitions, access);
    throw StoreError("unknown store kind '" + section.kind + "'");
}

}  // namespace cim::core
