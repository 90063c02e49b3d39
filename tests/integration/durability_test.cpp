// Durability and restart: what publish acknowledged survives SIGKILL, the restored state equals a replay of the
// journal, and a timeout that passed while the runtime was down fires on start.
#include "cim/runtime/runtime.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include <catch2/catch.hpp>

#include "bus/clock.hpp"
#include "cim/runtime/journal_reader.hpp"
#include "config/runtime_config.hpp"
#include "runtime/runtime_impl.hpp"

extern char** environ;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        path = std::filesystem::temp_directory_path() /
               ("cimrt-durability-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    static int& counter() {
        static int n = 0;
        return n;
    }
};

std::filesystem::path write_config(const TempDir& dir, const std::string& name, const std::string& store,
                                   const std::string& timeout = "10m") {
    const auto file = dir.path / name;
    std::ofstream(file) << "[runtime]\nthreads = 2\n[store]\n" << store << "\n[sessions]\ncustomer_inactivity_timeout = \""
                        << timeout << "\"\n";
    return file;
}

cim::runtime::RuntimeOptions quiet() {
    cim::runtime::RuntimeOptions options;
    options.log_to_stderr = false;
    return options;
}

}  // namespace

TEST_CASE("every event whose publish returned success survives SIGKILL with sync = full, and the restored state "
          "equals a replay of the journal",
          "[durability][sqlite]") {
    TempDir dir;
    const auto config = write_config(dir, "runtime.toml", "kind = \"sqlite\"\npath = \"journal.db\"\nsync = \"full\"");

    // The child publishes until killed; what it printed is what publish acknowledged.
    int out[2];
    REQUIRE(pipe(out) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    const std::string program = CIMRT_CRASH_PUBLISHER;
    const std::string config_arg = config.string();
    char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>(config_arg.c_str()), nullptr};
    pid_t child = 0;
    REQUIRE(posix_spawn(&child, program.c_str(), &actions, nullptr, argv, environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);

    std::vector<std::string> acknowledged;
    std::string pending;
    char buffer[4096];
    while (acknowledged.size() < 400) {
        const ssize_t n = read(out[0], buffer, sizeof buffer);
        REQUIRE(n > 0);
        pending.append(buffer, static_cast<std::size_t>(n));
        for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
            acknowledged.push_back(pending.substr(0, newline));
            pending.erase(0, newline + 1);
        }
    }
    REQUIRE(kill(child, SIGKILL) == 0);  // mid-stream: it is publishing as fast as fsync allows
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    close(out[0]);

    auto reader = cim::runtime::JournalReader::open(config);
    std::set<std::string> journaled;
    std::vector<std::string> lines;
    reader->journal({}, [&](const std::string& line) {
        lines.push_back(line);
        journaled.insert(nlohmann::json::parse(line)["id"].get<std::string>());
    });
    for (const std::string& id : acknowledged) {
        INFO("acknowledged event " << id);
        REQUIRE(journaled.count(id) == 1);
    }

    // Restart on the same store, and replay the journal into an empty one: the tracked states must be equal.
    auto restored = cim::runtime::Runtime::from_file(config, quiet());
    restored->start();
    const auto replay_config = write_config(dir, "replay.toml", "kind = \"memory\"");
    auto replayed = cim::runtime::Runtime::from_file(replay_config, quiet());
    replayed->start();
    std::set<std::string> conversations;
    for (const std::string& line : lines) {
        const auto event = nlohmann::json::parse(line);
        if (event.contains("conversationId")) conversations.insert(event["conversationId"].get<std::string>());
        REQUIRE(replayed->publish_json(line).accepted());
    }
    replayed->drain();
    REQUIRE(conversations.size() >= 80);
    for (const std::string& conversation : conversations) {
        INFO("conversation " << conversation);
        const auto state = restored->conversation_state(conversation);
        REQUIRE_FALSE(state.is_null());
        REQUIRE(state == replayed->conversation_state(conversation));
    }
    restored->stop();
    replayed->stop();
}

TEST_CASE("a conversation whose inactivity timeout passed while the runtime was down expires on start",
          "[durability][restart]") {
    TempDir dir;
    const auto config_file = write_config(dir, "runtime.toml", "kind = \"sqlite\"\npath = \"journal.db\"", "10m");
    const std::int64_t start_ms = 1'700'000'000'000;

    {
        auto clock = std::make_unique<cim::core::ManualClock>(start_ms);
        auto runtime = cim::runtime::make_runtime(cim::core::load_config_file(config_file), quiet(), std::move(clock));
        runtime->start();
        REQUIRE(runtime->publish_json(R"({"name":"CHANNEL_SESSION_STARTED","conversationId":"c1","channelSessionId":"s1",)"
                                      R"("customerId":"u1","emitter":{"id":"web","type":"CONNECTOR"}})")
                    .accepted());
        REQUIRE(runtime->publish_json(R"({"name":"CUSTOMER_MESSAGE","conversationId":"c1","channelSessionId":"s1",)"
                                      R"("customerId":"u1","emitter":{"id":"u1","type":"CUSTOMER"},"data":{}})")
                    .accepted());
        runtime->drain();
        REQUIRE(runtime->conversation_state("c1")["state"] == "ACTIVE");
        runtime->stop();
    }

    // Eleven minutes later the runtime comes back: the session's deadline is long gone.
    auto clock = std::make_unique<cim::core::ManualClock>(start_ms + 11 * 60 * 1000);
    auto runtime = cim::runtime::make_runtime(cim::core::load_config_file(config_file), quiet(), std::move(clock));
    runtime->start();
    nlohmann::json state;
    for (int i = 0; i < 500; ++i) {
        runtime->drain();
        state = runtime->conversation_state("c1");
        if (state["channelSessions"][0]["state"] == "EXPIRED") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(state["channelSessions"][0]["state"] == "EXPIRED");
    REQUIRE(state["state"] == "CLOSED");
    runtime->stop();

    auto reader = cim::runtime::JournalReader::open(config_file);
    std::vector<std::string> names;
    reader->journal({}, [&](const std::string& line) { names.push_back(nlohmann::json::parse(line)["name"]); });
    REQUIRE(std::find(names.begin(), names.end(), "CHANNEL_SESSION_EXPIRED") != names.end());
}

TEST_CASE("a second runtime on the same journal is refused, readers are not", "[durability][sqlite]") {
    TempDir dir;
    const auto config = write_config(dir, "runtime.toml", "kind = \"sqlite\"\npath = \"journal.db\"");
    auto owner = cim::runtime::Runtime::from_file(config, quiet());
    owner->start();
    REQUIRE(owner->publish_json(R"({"name":"CUSTOMER_MESSAGE","conversationId":"c1","customerId":"u1"})").accepted());
    owner->drain();

    REQUIRE_THROWS_MATCHES(cim::runtime::Runtime::from_file(config, quiet()), cim::runtime::Error,
                           Catch::Matchers::Predicate<cim::runtime::Error>([](const cim::runtime::Error& e) {
                               return e.kind() == cim::runtime::Error::Kind::store &&
                                      std::string(e.what()).find("is owned by another running cimrt") != std::string::npos;
                           }));
    // Readers take no lock: `cimrt inspect` works while the runtime runs.
    auto reader = cim::runtime::JournalReader::open(config);
    owner->stop();  // stop flushes, so the reader sees every accepted event
    REQUIRE_FALSE(reader->conversation("c1").is_null());
    owner.reset();
    REQUIRE_NOTHROW(cim::runtime::Runtime::from_file(config, quiet()));  // released with its owner
}
