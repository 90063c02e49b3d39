// Plugin state kept by the runtime (ABI 1.2): a real plugin (plain C, through the real loader) keeps its counts and a
// persistent timer in the runtime's state; the runtime is stopped and started again on the same SQLite file with a
// manual clock, and the plugin goes on where it was. The state table's own rules are tested on a real store too.
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "bus/clock.hpp"
#include "cim/runtime/handler.hpp"
#include "config/runtime_config.hpp"
#include "runtime/runtime_impl.hpp"
#include "state/plugin_state.hpp"
#include "store/memory_store.hpp"
#include "store/sqlite_store.hpp"
#include "../faults/temp_dir.hpp"

namespace {

using cim::test::TempDir;

const std::filesystem::path fixtures = CIMRT_TEST_PLUGIN_DIR;

// Records the BOT_MESSAGE payloads the plugin under test publishes, by conversation.
class Answers : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "answers";
        m.version = "1";
        m.consumes = {"BOT_MESSAGE"};
        return m;
    }
    void on_event(const cim::Event& event) override {
        std::lock_guard lock(mutex_);
        seen_.push_back({std::string(event.conversation_id()), nlohmann::json::parse(event.data_text())});
    }
    std::vector<std::pair<std::string, nlohmann::json>> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }
    // Waits (real time, bounded) for `n` answers: timers fire on worker threads after the manual clock moved.
    bool wait_for(std::size_t n) const {
        for (int i = 0; i < 500; ++i) {
            if (seen().size() >= n) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::pair<std::string, nlohmann::json>> seen_;
};

constexpr std::int64_t t0 = 1'800'000'000'000;

struct Running {
    cim::core::ManualClock* clock = nullptr;
    std::shared_ptr<Answers> answers = std::make_shared<Answers>();
    std::unique_ptr<cim::runtime::Runtime> runtime;

    Running(const std::filesystem::path& dir, std::int64_t now_ms) {
        const auto file = dir / "runtime.toml";
        std::ofstream(file) << "[runtime]\nthreads = 2\nplugin_dir = \"" << fixtures.string()
                            << "\"\n[store]\nkind = \"sqlite\"\npath = \"journal.db\"\nsync = \"full\"\n"
                            << "[plugins.c_state]\n";
        auto manual = std::make_unique<cim::core::ManualClock>(now_ms);
        clock = manual.get();
        cim::runtime::RuntimeOptions quiet;
        quiet.log_to_stderr = false;
        runtime = cim::runtime::make_runtime(cim::core::load_config_file(file), quiet, std::move(manual));
        runtime->add_handler(answers);
        runtime->start();
    }
    ~Running() { runtime->stop(); }

    void message(const std::string& id, const std::string& conversation) {
        const auto result = runtime->publish_json(
            R"({"id":")" + id + R"(","name":"CUSTOMER_MESSAGE","conversationId":")" + conversation +
            R"(","customerId":"u1","emitter":{"id":"u1","type":"CUSTOMER"},)"
            R"("data":{"body":{"type":"PLAIN","markdownText":"hi"}}})");
        REQUIRE(result.accepted());
        runtime->drain();
    }
};

}  // namespace

TEST_CASE("a plugin's state and its persistent timer survive a restart on the same store", "[state][restart]") {
    TempDir dir;
    {
        Running first(dir.path, t0);
        first.message("m1", "conv-a");
        first.message("m2", "conv-a");
        first.message("m3", "conv-b");
        REQUIRE(first.answers->wait_for(3));
        const auto seen = first.answers->seen();
        REQUIRE(seen[1].second == nlohmann::json{{"count", 2}, {"total", 2}});
        REQUIRE(seen[2].second == nlohmann::json{{"count", 1}, {"total", 3}});
    }
    {
        // Thirty seconds later, a new process: the counts go on from the store, nothing from the plugin's memory.
        Running second(dir.path, t0 + 30'000);
        second.message("m4", "conv-a");
        REQUIRE(second.answers->wait_for(1));
        REQUIRE(second.answers->seen()[0].second == nlohmann::json{{"count", 3}, {"total", 4}});
        // m4 moved the reminder to t0 + 90 s; it does not fire before.
        second.clock->advance(59'000);
        second.runtime->drain();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        INFO(second.answers->seen().back().second.dump());
        REQUIRE(second.answers->seen().size() == 1);
    }
    {
        // Started after the deadline passed while nothing ran: the reminder fires right after start, once.
        Running third(dir.path, t0 + 120'000);
        third.clock->advance(0);
        REQUIRE(third.answers->wait_for(1));
        const auto seen = third.answers->seen();
        REQUIRE(seen.size() == 1);
        REQUIRE(seen[0].first == "conv-a");
        REQUIRE(seen[0].second == nlohmann::json{{"text", "reminder"}});
    }
    {
        // Fired and forgotten in the same unit as the hook: it does not come back on the next start.
        Running fourth(dir.path, t0 + 500'000);
        fourth.clock->advance(1'000);
        fourth.runtime->drain();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        REQUIRE(fourth.answers->seen().empty());
    }
}

TEST_CASE("plugin state refuses bad keys and values with the rule, and lists, scopes and drops by conversation",
          "[state]") {
    cim::core::MemoryStore store(4);
    cim::core::PluginState state(store, 4, [](std::string_view scope) { return std::hash<std::string_view>{}(scope); });
    using cim::core::StateError;

    REQUIRE_THROWS_WITH(state.put("p", "c1", "", "v"), "key is empty");
    REQUIRE_THROWS_WITH(state.put("p", "c1", std::string("a\0b", 3), "v"), "key contains a NUL byte");
    REQUIRE_THROWS_WITH(state.put("p", "c1", "\xff", "v"), "key is not UTF-8");
    REQUIRE_THROWS_WITH(state.put("p", "c1", std::string(1025, 'k'), "v"), "key is 1025 bytes; at most 1024");
    REQUIRE_THROWS_WITH(state.put("p", "c1", "k", std::string(1024 * 1024 + 1, 'v')),
                        "value is 1048577 bytes; at most 1048576");
    REQUIRE_THROWS_WITH(state.put("p", std::string("c\0", 2), "k", "v"), "scope contains a NUL byte");
    try {
        state.put("p", "c1", "", "v");
    } catch (const StateError& e) {
        REQUIRE(e.code == CIM_INVALID);
    }
    REQUIRE(state.size() == 0);

    state.put("p", "c1", "task/2", "b");
    state.put("p", "c1", "task/1", "a");
    state.put("p", "c1", "owner", "ann");
    state.put("p", "c2", "task/1", "x");
    state.put("q", "c1", "task/1", "other plugin");
    state.put("p", "", "queue", "[\"c1\"]");
    REQUIRE(state.get("p", "c1", "task/1") == "a");
    REQUIRE(state.get("q", "c1", "task/1") == "other plugin");  // plugins never see each other's entries
    REQUIRE_FALSE(state.get("p", "c3", "task/1"));

    std::vector<std::string> listed;
    state.list("p", "c1", "task/", [&](std::string_view k, std::string_view v) { listed.push_back(std::string(k) + "=" + std::string(v)); });
    REQUIRE(listed == std::vector<std::string>{"task/1=a", "task/2=b"});

    auto scopes = state.scopes("p");
    std::sort(scopes.begin(), scopes.end());
    REQUIRE(scopes == std::vector<std::string>{"c1", "c2"});  // the plugin-wide scope is not a conversation

    state.erase("p", "c1", "owner");
    REQUIRE_FALSE(state.get("p", "c1", "owner"));
    state.drop_scope("c1");  // the conversation left the runtime: every plugin's entries of it go
    REQUIRE_FALSE(state.get("p", "c1", "task/1"));
    REQUIRE_FALSE(state.get("q", "c1", "task/1"));
    REQUIRE(state.get("p", "c2", "task/1") == "x");
    REQUIRE(state.get("p", "", "queue") == "[\"c1\"]");
    REQUIRE(state.size() == 2);
}

TEST_CASE("the state writes of one hook are one unit in the store, and come back from the file", "[state][sqlite]") {
    TempDir dir;
    const auto db = dir.path / "journal.db";
    const auto partition_of = [](std::string_view) { return std::size_t{0}; };
    {
        cim::core::SqliteStore store(db, "full", 1, cim::core::StoreAccess::owner);
        cim::core::PluginState state(store, 1, partition_of);
        const std::uint64_t before = store.last_ticket(0);
        {
            cim::core::PluginState::HookUnit unit(state);
            state.put("agent", "c1", "task", R"({"queued":true})");
            state.put("agent", "c1", "owner", "ann");
            state.put("agent", "", "queue", R"(["c1"])");
            REQUIRE(store.last_ticket(0) == before);  // nothing handed to the store inside the hook
            REQUIRE(state.get("agent", "c1", "owner") == "ann");  // but visible at once
        }
        REQUIRE(store.last_ticket(0) == before + 1);  // one unit, one ticket
        state.put("agent", "c2", "task", "{}");       // outside a hook: a unit of its own
        REQUIRE(store.last_ticket(0) == before + 2);
        state.erase("agent", "c1", "owner");
        REQUIRE(store.flush(std::chrono::seconds(5)));
    }
    cim::core::SqliteStore reopened(db, "full", 1, cim::core::StoreAccess::owner);
    cim::core::PluginState state(reopened, 1, partition_of);
    REQUIRE(state.restore() == 3);
    REQUIRE(state.get("agent", "c1", "task") == R"({"queued":true})");
    REQUIRE_FALSE(state.get("agent", "c1", "owner"));
    REQUIRE(state.get("agent", "", "queue") == R"(["c1"])");
    REQUIRE(state.get("agent", "c2", "task") == "{}");
}
