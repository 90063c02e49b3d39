// Raw SQLite: the journal's rows inserted directly, in batched transactions — the rate the durable path is held to.
#include <chrono>
#include <stdexcept>

#include <sqlite3.h>

#include "baselines/baselines.hpp"
#include "event/catalogue.hpp"
#include "event/event.hpp"
#include "event/wire_json.hpp"

namespace cim::bench {
namespace {

// The journal's schema (core/src/store/sqlite_store.cpp), so both write the same rows into the same table shape.
constexpr const char* schema = R"sql(
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL,
    timestamp INTEGER NOT NULL, conversation_id TEXT NOT NULL, channel_session_id TEXT NOT NULL,
    customer_id TEXT NOT NULL, emitter_id TEXT NOT NULL, emitter_type INTEGER NOT NULL, emitter_name TEXT NOT NULL,
    refers_to TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX journal_by_conversation ON journal (conversation_id, seq);
)sql";

void exec(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw std::runtime_error("sqlite: " + sql.substr(0, 40) + ": " + message);
    }
}

void bind(sqlite3_stmt* s, int index, const std::string& text) {
    sqlite3_bind_text(s, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

}  // namespace

Measurement run_sqlite_baseline(const std::vector<WireEvent>& traffic, const std::filesystem::path& work_dir,
                                const std::string& sync, std::size_t batch) {
    const cim::core::Catalogue catalogue;
    std::vector<cim::core::Event> rows;
    for (const auto& line : stamped_lines(traffic)) rows.push_back(cim::core::parse_event_json(line, catalogue));
    const auto path = work_dir / "baseline.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("cannot open " + path.string());
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "PRAGMA synchronous=" + sync);
    exec(db, schema);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO journal (id, name, type, timestamp, conversation_id, channel_session_id, customer_id, "
                       "emitter_id, emitter_type, emitter_name, refers_to, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       -1, &insert, nullptr);
    const double cpu_before = cpu_time_us();
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i % batch == 0) exec(db, "BEGIN");
        const auto& e = rows[i];
        bind(insert, 1, e.id);
        bind(insert, 2, e.name);
        sqlite3_bind_int(insert, 3, static_cast<int>(e.type));
        sqlite3_bind_int64(insert, 4, 1700000000000 + static_cast<std::int64_t>(i));
        bind(insert, 5, e.conversation_id);
        bind(insert, 6, e.channel_session_id);
        bind(insert, 7, e.customer_id);
        bind(insert, 8, e.emitter.id);
        sqlite3_bind_int(insert, 9, static_cast<int>(e.emitter.type));
        bind(insert, 10, e.emitter.name);
        bind(insert, 11, e.refers_to);
        bind(insert, 12, e.data);
        if (sqlite3_step(insert) != SQLITE_DONE) throw std::runtime_error(std::string("insert: ") + sqlite3_errmsg(db));
        sqlite3_reset(insert);
        if (i % batch == batch - 1 || i + 1 == rows.size()) exec(db, "COMMIT");
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    sqlite3_finalize(insert);
    sqlite3_close(db);
    Measurement m;
    m.name = "sqlite batched inserts (" + sync + ")";
    m.events_per_s = static_cast<double>(rows.size()) / seconds;
    m.cpu_us_per_event = (cpu_time_us() - cpu_before) / static_cast<double>(rows.size());
    m.rss_mib = peak_rss_mib();
    m.extra["batch"] = batch;
    return m;
}

}  // namespace cim::bench
