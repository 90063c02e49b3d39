#include "scenarios/startup_scenario.hpp"

#include <chrono>
#include <thread>

#include "bus/clock.hpp"
#include "config/runtime_config.hpp"
#include "runtime/runtime_impl.hpp"

#include <sqlite3.h>

namespace cim::bench {
namespace {

std::string config_for(const std::filesystem::path& journal, bool snapshots) {
    return "[runtime]\nthreads = 2\n[store]\nkind = \"sqlite\"\npath = \"" + journal.string() +
           "\"\nsync = \"off\"\nsnapshot_interval = " + (snapshots ? "100000" : "0") +
           "\n[sessions]\ncustomer_inactivity_timeout = \"24h\"\nclosed_grace = \"1s\"\n";
}

std::unique_ptr<cim::runtime::Runtime> open_runtime(const std::filesystem::path& journal, bool snapshots,
                                                    const BenchPaths& paths) {
    cim::runtime::RuntimeOptions quiet;
    quiet.log_to_stderr = false;
    return cim::runtime::make_runtime(cim::core::parse_config(config_for(journal, snapshots), "<bench>", paths.work_dir),
                                      quiet, std::make_unique<cim::core::SystemClock>());
}

std::string event(const char* name, const std::string& c, const char* emitter_type, const std::string& emitter,
                  const char* data = nullptr) {
    std::string out = std::string(R"({"name":")") + name + R"(","conversationId":"startup-conversation-)" + c +
                      R"(","channelSessionId":"startup-session-)" + c + R"(","customerId":"startup-customer-)" + c +
                      R"(","emitter":{"id":")" + emitter + R"(","type":")" + emitter_type + R"("})";
    if (data != nullptr) out += std::string(R"(,"data":)") + data;
    return out + "}";
}

}  // namespace

Measurement write_startup_journal(const std::filesystem::path& journal, std::size_t events, std::size_t open,
                                  const BenchPaths& paths) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(journal.string() + suffix);
    auto runtime = open_runtime(journal, true, paths);
    runtime->start();
    const auto publish = [&](const std::string& line) {
        while (!runtime->publish_json(line).accepted()) std::this_thread::yield();
    };
    const char* message = R"({"body":{"type":"PLAIN","markdownText":"hello, I have a question about my order"}})";
    // Open: a session start and a customer message (+ the derived CREATED -> ACTIVE): 3 journal entries each.
    for (std::size_t i = 0; i < open; ++i) {
        const std::string c = "open-" + std::to_string(i);
        publish(event("CHANNEL_SESSION_STARTED", c, "CONNECTOR", "web", R"({"interactive":false})"));
        publish(event("CUSTOMER_MESSAGE", c, "CUSTOMER", "startup-customer-" + c, message));
    }
    // Closed: start, customer message, agent message, end (+ CREATED -> ACTIVE, ACTIVE -> CLOSED): 6 entries each.
    const std::size_t closed = events > 3 * open ? (events - 3 * open) / 6 : 0;
    for (std::size_t i = 0; i < closed; ++i) {
        const std::string c = "closed-" + std::to_string(i);
        publish(event("CHANNEL_SESSION_STARTED", c, "CONNECTOR", "web", R"({"interactive":false})"));
        publish(event("CUSTOMER_MESSAGE", c, "CUSTOMER", "startup-customer-" + c, message));
        publish(event("AGENT_MESSAGE", c, "AGENT", "agent-1", message));
        publish(event("CHANNEL_SESSION_ENDED", c, "CONNECTOR", "web"));
    }
    runtime->drain();
    // The scenario's closed conversations are past their grace period (1 s): wait until they have left memory, so
    // the snapshots written at stop hold what a runtime in steady state holds — the open conversations and the
    // evicted ids — and not the last seconds' closures, whose number would grow with the writing time.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (runtime->metrics().conversations_evicted < closed && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    runtime->stop();
    Measurement m;
    m.name = "startup journal";
    m.extra["journal_events"] = 3 * open + 6 * closed;
    m.extra["open_conversations"] = open;
    m.extra["closed_conversations"] = closed;
    m.extra["snapshots_written"] = runtime->metrics().snapshots_written;
    return m;
}

Measurement run_startup(const std::filesystem::path& journal, bool use_snapshots, const BenchPaths& paths) {
    // The closed conversations' grace period (1 s) is over by now in any real run; make sure.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    if (!use_snapshots) {
        // The baseline: what every start cost before snapshots — the whole journal replayed.
        sqlite3* db = nullptr;
        if (sqlite3_open(journal.c_str(), &db) != SQLITE_OK ||
            sqlite3_exec(db, "DELETE FROM snapshots", nullptr, nullptr, nullptr) != SQLITE_OK) {
            sqlite3_close(db);
            throw std::runtime_error("cannot remove the snapshots of " + journal.string());
        }
        sqlite3_close(db);
    }
    const std::uint64_t rss_before = current_rss_bytes();
    const double cpu_before = cpu_time_us();
    const auto start = std::chrono::steady_clock::now();
    auto runtime = open_runtime(journal, use_snapshots, paths);
    runtime->start();
    const double startup_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const double cpu_ms = (cpu_time_us() - cpu_before) / 1000.0;
    // The closed conversations replayed at start leave memory on the first timer round; wait for it to settle.
    std::uint64_t evicted = 0;
    for (int i = 0; i < 200; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const std::uint64_t now = runtime->metrics().conversations_evicted;
        if (now == evicted && i > 10) break;
        evicted = now;
    }
    const auto metrics = runtime->metrics();
    const std::uint64_t rss_after = current_rss_bytes();
    Measurement m;
    m.name = "startup";
    m.events_per_s = 0;
    m.rss_mib = peak_rss_mib();
    m.cpu_us_per_event = 0;
    m.extra["startup_ms"] = startup_ms;
    m.extra["startup_cpu_ms"] = cpu_ms;
    m.extra["journal_events_read"] = metrics.journal_events_read;
    m.extra["evicted_at_start"] = metrics.conversations_evicted;
    m.extra["rss_growth_mib"] = static_cast<double>(rss_after - rss_before) / (1024.0 * 1024.0);
    m.extra["rss_after_mib"] = static_cast<double>(rss_after) / (1024.0 * 1024.0);
    // Not stopped: a stop would write fresh snapshots and change the journal the next run measures. The child
    // process this runs in ends with _exit right after.
    static_cast<void>(runtime.release());
    return m;
}

}  // namespace cim::bench
