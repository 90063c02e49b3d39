// Issue 12, "Snapshots and eviction", through the real runtime and the SQLite journal: a query per message stays
// linear (counted in journal reads, not timed), a closed conversation leaves memory after its grace period and is
// still answered from the store, start-up restores snapshots plus the journal tail, and a damaged snapshot or a
// changed shard count falls back to replaying, saying so.
#include "cim/runtime/runtime.hpp"

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <sqlite3.h>

#include "bus/bus.hpp"
#include "bus/clock.hpp"
#include "cim/runtime/journal_reader.hpp"
#include "config/runtime_config.hpp"
#include "event/catalogue.hpp"
#include "runtime/runtime_impl.hpp"
#include "runtime/session_stage.hpp"
#include "store/sqlite_store.hpp"
#include "../faults/temp_dir.hpp"

namespace {

using cim::test::TempDir;

cim::runtime::RuntimeOptions quiet() {
    cim::runtime::RuntimeOptions options;
    options.log_to_stderr = false;
    return options;
}

std::filesystem::path write_config(const TempDir& dir, const std::string& extra_store, const std::string& sessions,
                                   std::size_t shards = 4) {
    const auto file = dir.path / "runtime.toml";
    std::ofstream(file) << "[runtime]\nshards = " << shards << "\n[store]\nkind = \"sqlite\"\npath = \"journal.db\"\n"
                        << extra_store << "\n[sessions]\n" << sessions << "\n";
    return file;
}

std::unique_ptr<cim::runtime::Runtime> open_runtime(const std::filesystem::path& config, std::int64_t now_ms,
                                                    cim::core::ManualClock** clock_out = nullptr) {
    auto clock = std::make_unique<cim::core::ManualClock>(now_ms);
    if (clock_out != nullptr) *clock_out = clock.get();
    return cim::runtime::make_runtime(cim::core::load_config_file(config), quiet(), std::move(clock));
}

std::string event(const std::string& name, const std::string& conversation, const std::string& emitter_type,
                  const std::string& extra = "") {
    return R"({"name":")" + name + R"(","conversationId":")" + conversation + R"(","channelSessionId":"s-)" +
           conversation + R"(","customerId":"u-)" + conversation + R"(","emitter":{"id":"e1","type":")" + emitter_type +
           R"("})" + extra + "}";
}

void publish(cim::runtime::Runtime& runtime, const std::string& json) {
    auto result = runtime.publish_json(json);
    for (int i = 0; i < 10000 && result.status == cim::runtime::PublishStatus::busy; ++i) {  // back-pressure: retry
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        result = runtime.publish_json(json);
    }
    INFO(json << " -> " << result.error);
    REQUIRE(result.accepted());
}

// Asks for the conversation on every message it consumes, as a plugin that shows a transcript would.
class TranscriptReader : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "transcript-reader";
        m.version = "1";
        m.consumes = {"CUSTOMER_MESSAGE"};
        return m;
    }
    void on_event(const cim::Event& e) override {
        const nlohmann::json view = runtime->conversation(std::string(e.conversation_id()));
        const std::size_t activities = view["activities"].size();
        std::lock_guard lock(mutex);
        ++queries;
        if (activities < ++seen) too_short = true;  // every message so far must be in the view it gets
        last = activities;
    }
    cim::runtime::Runtime* runtime = nullptr;
    std::mutex mutex;
    std::size_t queries = 0, seen = 0, last = 0;
    bool too_short = false;
};

}  // namespace

TEST_CASE("a consumer asking for the conversation on each of 2,000 messages reads the journal once, not per message",
          "[sessions][queries][linear]") {
    TempDir dir("cimrt-queries");
    auto runtime = open_runtime(write_config(dir, "", ""), 1'700'000'000'000);
    auto reader = std::make_shared<TranscriptReader>();
    reader->runtime = runtime.get();
    runtime->add_handler(reader);
    runtime->start();
    const auto before = runtime->metrics();

    publish(*runtime, event("CHANNEL_SESSION_STARTED", "long", "CONNECTOR"));
    constexpr std::size_t messages = 2000;
    for (std::size_t i = 0; i < messages; ++i) {
        publish(*runtime, event("CUSTOMER_MESSAGE", "long", "CUSTOMER",
                                R"(,"id":"m)" + std::to_string(i) + R"(","data":{"text":"hi"})"));
    }
    runtime->drain();
    const auto after = runtime->metrics();
    REQUIRE(reader->queries == messages);
    REQUIRE_FALSE(reader->too_short);
    REQUIRE(reader->last == messages);
    // The first query reads the conversation's history once; every later one is answered from memory.
    REQUIRE(after.journal_reads - before.journal_reads <= 1);
    REQUIRE(after.journal_events_read - before.journal_events_read <= messages + 10);
    runtime->stop();
}

TEST_CASE("a closed conversation leaves memory after its grace period and is still answered from the store",
          "[sessions][eviction]") {
    TempDir dir("cimrt-eviction");
    const auto config = write_config(dir, "", "customer_inactivity_timeout = \"10m\"\nclosed_grace = \"1m\"");
    cim::core::ManualClock* clock = nullptr;
    auto runtime = open_runtime(config, 1'700'000'000'000, &clock);
    runtime->start();
    publish(*runtime, event("CHANNEL_SESSION_STARTED", "c1", "CONNECTOR", R"(,"id":"start-1")"));
    publish(*runtime, event("CUSTOMER_MESSAGE", "c1", "CUSTOMER", R"(,"id":"m1","data":{"text":"hello"})"));
    publish(*runtime, event("CHANNEL_SESSION_ENDED", "c1", "CONNECTOR", R"(,"id":"end-1")"));
    publish(*runtime, event("CHANNEL_SESSION_STARTED", "c2", "CONNECTOR"));  // stays open
    runtime->drain();
    REQUIRE(runtime->conversation_state("c1")["state"] == "CLOSED");
    const nlohmann::json live_view = runtime->conversation("c1");

    clock->advance(59 * 1000);
    runtime->drain();
    REQUIRE_FALSE(runtime->conversation_state("c1").is_null());  // within its grace period
    clock->advance(2 * 1000);
    for (int i = 0; i < 500 && runtime->metrics().conversations_evicted == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    runtime->drain();
    REQUIRE(runtime->metrics().conversations_evicted == 1);
    REQUIRE(runtime->conversation_state("c1").is_null());          // not in memory any more
    REQUIRE(runtime->conversation_state("c2")["state"] == "ACTIVE");  // the open one stays
    // The store answers for it, the same view as while it was live, through the runtime and through `inspect`.
    REQUIRE(runtime->conversation("c1") == live_view);
    REQUIRE(cim::runtime::JournalReader::open(config)->conversation("c1") == live_view);

    // A late retry is still a duplicate: the conversation comes back from the store to recognise it.
    const auto duplicates = runtime->metrics().duplicates;
    publish(*runtime, event("CUSTOMER_MESSAGE", "c1", "CUSTOMER", R"(,"id":"m1","data":{"text":"hello"})"));
    runtime->drain();
    REQUIRE(runtime->metrics().duplicates == duplicates + 1);
    REQUIRE(runtime->conversation("c1")["activities"].size() == 1);
    // A new session reopens the conversation it belongs to, with its history.
    publish(*runtime, event("CHANNEL_SESSION_STARTED", "c1", "CONNECTOR", R"(,"id":"start-2")"));
    runtime->drain();
    const auto reopened = runtime->conversation_state("c1");
    REQUIRE(reopened["state"] == "ACTIVE");
    REQUIRE(reopened["channelSessions"][0]["state"] == "STARTED");
    runtime->stop();
}

namespace {

// A few hundred conversations in several states, some closed, published through `runtime`.
std::vector<std::string> publish_traffic(cim::runtime::Runtime& runtime, int from, int to) {
    std::vector<std::string> ids;
    for (int i = from; i < to; ++i) {
        const std::string c = "conv-" + std::to_string(i);
        ids.push_back(c);
        publish(runtime, event("CHANNEL_SESSION_STARTED", c, "CONNECTOR", i % 5 == 0 ? R"(,"data":{"channel":"VOICE"})" : ""));
        publish(runtime, event("CUSTOMER_MESSAGE", c, "CUSTOMER", R"(,"id":"m-)" + c + R"(")"));
        if (i % 3 == 0) publish(runtime, event("AGENT_SUBSCRIBED", c, "AGENT", R"(,"data":{"role":"ASSISTANT"})"));
        publish(runtime, event("ACTIVITY_REACTION", c, "AGENT", R"(,"refersTo":"m-)" + c + R"(")"));
        if (i % 4 == 1) publish(runtime, event("CHANNEL_SESSION_ENDED", c, "CONNECTOR"));
        if (i % 6 == 0) publish(runtime, event("AGENT_UNSUBSCRIBED", c, "AGENT"));
    }
    runtime.drain();
    return ids;
}

// Everything a restore needs, without a runtime around it, so the log can be read.
struct StageOnly {
    std::ostringstream log;
    cim::core::Catalogue catalogue;
    cim::core::ManualClock clock;
    std::shared_ptr<spdlog::logger> logger;
    std::unique_ptr<cim::core::Bus> bus;
    std::unique_ptr<cim::core::Store> store;
    std::unique_ptr<cim::core::SessionStage> stage;
    StageOnly(const std::filesystem::path& journal, std::size_t shards) {
        logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
        bus = std::make_unique<cim::core::Bus>(catalogue, clock, cim::core::BusOptions{1, shards, 4096}, logger);
        store = std::make_unique<cim::core::SqliteStore>(journal, "normal", shards, cim::core::StoreAccess::owner);
        stage = std::make_unique<cim::core::SessionStage>(*bus, *store, catalogue, cim::core::TrackerOptions{}, logger);
        stage->set_snapshot_interval(1000);
    }
};

void require_state_as_replayed(const std::filesystem::path& config, cim::core::SessionStage& stage,
                               const std::vector<std::string>& ids) {
    auto reader = cim::runtime::JournalReader::open(config);
    for (const std::string& id : ids) {
        INFO("conversation " << id);
        nlohmann::json replayed = reader->conversation(id);
        replayed.erase("activities");
        replayed.erase("unresolvedUpdates");
        REQUIRE(stage.conversation_state(id) == replayed);
    }
}

}  // namespace

TEST_CASE("start-up restores the newest snapshot and replays only the journal after it, as a full replay would",
          "[sessions][snapshot][restart]") {
    TempDir dir("cimrt-snapshot");
    const auto with_snapshots = write_config(dir, "snapshot_interval = 200", "closed_grace = \"24h\"");
    std::vector<std::string> ids;
    {
        auto runtime = open_runtime(with_snapshots, 1'700'000'000'000);
        runtime->start();
        ids = publish_traffic(*runtime, 0, 150);
        runtime->stop();  // snapshots every partition
        REQUIRE(runtime->metrics().snapshots_written >= 4);
    }
    {
        // A tail the snapshots do not cover: written by a runtime that takes none (as a crash would leave it).
        auto runtime = open_runtime(write_config(dir, "snapshot_interval = 0", "closed_grace = \"24h\""),
                                    1'700'000'000'000);
        runtime->start();
        const auto tail = publish_traffic(*runtime, 150, 200);
        ids.insert(ids.end(), tail.begin(), tail.end());
        runtime->stop();
    }
    const std::filesystem::path journal = dir.path / "journal.db";
    std::uint64_t journal_size = 0;
    {
        cim::core::SqliteStore reader(journal, "normal", 1, cim::core::StoreAccess::read_only);
        journal_size = reader.journal_size();
    }
    StageOnly restored(journal, 4);
    const std::uint64_t replayed = restored.stage->restore();
    REQUIRE(restored.stage->counters().restored_from_snapshot == 4);
    REQUIRE(replayed > 0);
    REQUIRE(replayed < journal_size / 2);  // the tail only
    // The read starts at the oldest partition's snapshot (a periodic round may have placed them apart), not at the
    // beginning of the journal.
    REQUIRE(restored.store->journal_reads().events < journal_size / 2);
    require_state_as_replayed(with_snapshots, *restored.stage, ids);
}

TEST_CASE("a damaged snapshot, or one of another shard count, falls back to replaying the journal and says so",
          "[sessions][snapshot][restart]") {
    TempDir dir("cimrt-snapshot-damage");
    const auto config = write_config(dir, "snapshot_interval = 200", "closed_grace = \"24h\"");
    std::vector<std::string> ids;
    {
        auto runtime = open_runtime(config, 1'700'000'000'000);
        runtime->start();
        ids = publish_traffic(*runtime, 0, 120);
        runtime->stop();
    }
    const std::filesystem::path journal = dir.path / "journal.db";

    SECTION("every snapshot damaged") {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(journal.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "UPDATE snapshots SET body = substr(body, 1, length(body) - 3) || x'000000'", nullptr,
                             nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
        StageOnly restored(journal, 4);
        restored.stage->restore();
        REQUIRE(restored.stage->counters().restored_from_snapshot == 0);
        REQUIRE(restored.log.str().find("cannot be restored (snapshot: checksum mismatch (damaged))") != std::string::npos);
        require_state_as_replayed(config, *restored.stage, ids);
    }
    SECTION("the snapshots missing") {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(journal.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "DELETE FROM snapshots", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
        StageOnly restored(journal, 4);
        restored.stage->restore();
        REQUIRE(restored.stage->counters().restored_from_snapshot == 0);
        require_state_as_replayed(config, *restored.stage, ids);
    }
    SECTION("another shard count") {
        StageOnly restored(journal, 8);
        restored.stage->restore();
        REQUIRE(restored.stage->counters().restored_from_snapshot == 0);
        REQUIRE(restored.log.str().find("written with 4 partitions and the runtime now has 8 shards") != std::string::npos);
        require_state_as_replayed(config, *restored.stage, ids);
    }
}
