// Runtime::reload through the embedding API, with real .so fixtures: a replaced .so at the same path really runs its
// new code (and the old copy is unmapped), a plugin whose start fails rolls the whole reload back, and a file that is
// wrong or needs a restart changes nothing.
#include "cim/runtime/runtime.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "../cli/run_process.hpp"

namespace fs = std::filesystem;

namespace {

// Records every BOT_MESSAGE: what the greeter fixtures answer, with the build that answered.
class BotRecorder : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "bot-recorder";
        m.version = "1";
        m.consumes = {"BOT_MESSAGE"};
        return m;
    }
    void on_event(const cim::Event& event) override {
        std::lock_guard lock(mutex_);
        seen_.push_back(event.data());
        changed_.notify_all();
    }
    /// The reply to the `n`-th (1-based) customer message; throws after 5 s.
    nlohmann::json nth(std::size_t n) {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, std::chrono::seconds(5), [&] { return seen_.size() >= n; })) {
            throw std::runtime_error("only " + std::to_string(seen_.size()) + " bot message(s), not " + std::to_string(n));
        }
        return seen_[n - 1];
    }
    std::size_t count() const {
        std::lock_guard lock(mutex_);
        return seen_.size();
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<nlohmann::json> seen_;
};

struct TempDir {
    fs::path path;
    TempDir() {
        static int counter = 0;
        path = fs::temp_directory_path() / ("cimrt-reload-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

void write_file(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

// Replaces `to` as an installer does (a new file, not the old one rewritten): the running copy stays intact.
void install(const fs::path& from, const fs::path& to) {
    const fs::path staged = to.string() + ".new";
    fs::copy_file(from, staged, fs::copy_options::overwrite_existing);
    fs::rename(staged, to);
}

const fs::path fixtures = CIMRT_TEST_PLUGIN_DIR;

std::string message(const std::string& conversation, const std::string& text) {
    return R"({"name":"CUSTOMER_MESSAGE","conversationId":")" + conversation +
           R"(","customerId":"u1","data":{"body":{"type":"PLAIN","markdownText":")" + text + R"("}}})";
}

std::unique_ptr<cim::runtime::Runtime> start(const fs::path& config, const std::shared_ptr<BotRecorder>& recorder) {
    cim::runtime::RuntimeOptions quiet;
    quiet.log_to_stderr = false;
    auto runtime = cim::runtime::Runtime::from_file(config, quiet);
    runtime->add_handler(recorder);
    runtime->start();
    return runtime;
}

// Lines of /proc/self/maps naming `needle`: which copies of a library are mapped in this process.
std::size_t mappings_of(const std::string& needle) {
    std::ifstream maps("/proc/self/maps");
    std::size_t n = 0;
    for (std::string line; std::getline(maps, line);) {
        if (line.find(needle) != std::string::npos) ++n;
    }
    return n;
}

std::string version_of(const cim::runtime::Runtime& runtime, const std::string& plugin) {
    for (const auto& p : runtime.plugins()) {
        if (p.name == plugin) return p.version;
    }
    return "(not loaded)";
}

}  // namespace

TEST_CASE("a replaced .so at the same path is reloaded: the new build answers and the old copy is unmapped", "[reload]") {
    TempDir dir;
    const fs::path plugin = dir.path / "greeter_swap.so";
    install(fixtures / "greeter_swap_1.so", plugin);
    write_file(dir.path / "runtime.toml", "[store]\nkind = \"memory\"\n[plugins.greeter_swap]\npath = \"greeter_swap.so\"\n");
    auto recorder = std::make_shared<BotRecorder>();
    auto runtime = start(dir.path / "runtime.toml", recorder);

    REQUIRE(runtime->publish_json(message("c1", "hi")).accepted());
    CHECK(recorder->nth(1)["build"] == "1");

    install(fixtures / "greeter_swap_2.so", plugin);
    const auto report = runtime->reload();
    INFO(report.summary());
    REQUIRE(report.ok);
    CHECK(report.restarted == std::vector<std::string>{"greeter_swap"});
    CHECK(version_of(*runtime, "greeter_swap") == "2");

    REQUIRE(runtime->publish_json(message("c1", "again")).accepted());
    CHECK(recorder->nth(2)["build"] == "2");
    // The first build is gone from memory: dlclose really unloaded it (no TLS destructor, no unique symbol pins it).
    CHECK(mappings_of("greeter_swap.so (deleted)") == 0);
    runtime->stop();
}

TEST_CASE("a reload that changes nothing touches nothing, and a table change restarts only that plugin", "[reload]") {
    TempDir dir;
    const std::string base = "[store]\nkind = \"memory\"\n[runtime]\nplugin_dir = \"" + fixtures.string() +
                             "\"\n[plugins.greeter]\ngreeting = \"Hello\"\n[plugins.thrower]\n";
    write_file(dir.path / "runtime.toml", base);
    auto recorder = std::make_shared<BotRecorder>();
    auto runtime = start(dir.path / "runtime.toml", recorder);

    auto report = runtime->reload();
    REQUIRE(report.ok);
    CHECK(report.restarted.empty());
    CHECK(report.unchanged == std::vector<std::string>{"greeter", "thrower"});

    std::string changed = base;
    changed.replace(changed.find("Hello"), 5, "Howdy");
    write_file(dir.path / "runtime.toml", changed);
    report = runtime->reload();
    REQUIRE(report.ok);
    CHECK(report.restarted == std::vector<std::string>{"greeter"});
    CHECK(report.unchanged == std::vector<std::string>{"thrower"});
    REQUIRE(runtime->publish_json(message("c1", "hi")).accepted());
    CHECK(recorder->nth(1)["body"]["markdownText"] == "Howdy, you said: hi");

    // Disabled: stopped and gone from the wiring; enabled again: back.
    write_file(dir.path / "runtime.toml", changed + "enabled = false\n");  // the last table is [plugins.thrower]
    report = runtime->reload();
    REQUIRE(report.ok);
    CHECK(report.stopped == std::vector<std::string>{"thrower"});
    CHECK(runtime->plugins().size() == 2);  // greeter and the recorder
    write_file(dir.path / "runtime.toml", changed);
    report = runtime->reload();
    REQUIRE(report.ok);
    CHECK(report.started == std::vector<std::string>{"thrower"});
    runtime->stop();
}

TEST_CASE("a plugin whose start fails rolls the whole reload back to the previous plugins and tables", "[reload]") {
    TempDir dir;
    const std::string head = "[store]\nkind = \"memory\"\n[runtime]\nplugin_dir = \"" + fixtures.string() + "\"\n";
    write_file(dir.path / "runtime.toml", head + "[plugins.greeter]\ngreeting = \"Hello\"\n[plugins.thrower]\n");
    auto recorder = std::make_shared<BotRecorder>();
    auto runtime = start(dir.path / "runtime.toml", recorder);

    // Two changes at once: the greeter's greeting, and a thrower that now fails in start.
    write_file(dir.path / "runtime.toml",
               head + "[plugins.greeter]\ngreeting = \"Howdy\"\n[plugins.thrower]\nthrow_in = \"start\"\n");
    const auto report = runtime->reload();
    REQUIRE_FALSE(report.ok);
    CHECK(report.rolled_back);
    CHECK(report.error_kind == cim::runtime::Error::Kind::plugin);
    CHECK_THAT(report.error, Catch::Contains("thrower") && Catch::Contains("cannot start"));

    // The greeter runs again with its previous table, and the previous thrower is back on the bus.
    REQUIRE(runtime->publish_json(message("c1", "hi")).accepted());
    CHECK(recorder->nth(1)["body"]["markdownText"] == "Hello, you said: hi");
    std::vector<std::string> names;
    for (const auto& p : runtime->plugins()) names.push_back(p.name);
    CHECK(names == std::vector<std::string>{"greeter", "thrower", "bot-recorder"});

    // A create that fails is rolled back the same way.
    write_file(dir.path / "runtime.toml", head + "[plugins.greeter]\n[plugins.thrower]\nthrow_in = \"create\"\n");
    const auto created = runtime->reload();
    CHECK_FALSE(created.ok);
    CHECK(created.rolled_back);
    CHECK_THAT(created.error, Catch::Contains("refusing to be created"));
    REQUIRE(runtime->publish_json(message("c2", "hi")).accepted());
    CHECK(recorder->nth(2)["body"]["markdownText"] == "Hello, you said: hi");
    runtime->stop();
}

TEST_CASE("a reload of a wrong file, or of a key that needs a restart, changes nothing and names the place", "[reload]") {
    TempDir dir;
    const std::string good = "[store]\nkind = \"memory\"\n[runtime]\nplugin_dir = \"" + fixtures.string() +
                             "\"\n[plugins.greeter]\ngreeting = \"Hello\"\n";
    write_file(dir.path / "runtime.toml", good);
    auto recorder = std::make_shared<BotRecorder>();
    auto runtime = start(dir.path / "runtime.toml", recorder);

    write_file(dir.path / "runtime.toml", good + "[plugins.thrower\n");  // line 6: the header is never closed
    auto report = runtime->reload();
    REQUIRE_FALSE(report.ok);
    CHECK_FALSE(report.rolled_back);
    CHECK(report.error_kind == cim::runtime::Error::Kind::config);
    CHECK_THAT(report.error, Catch::Contains("runtime.toml:7:"));

    write_file(dir.path / "runtime.toml", good + "greting = \"Howdy\"\n");  // against the greeter's schema
    report = runtime->reload();
    REQUIRE_FALSE(report.ok);
    CHECK_THAT(report.error, Catch::Contains("runtime.toml:7:1") && Catch::Contains("plugins.greeter.greting"));

    std::string threads = good;
    threads.insert(threads.find("plugin_dir"), "threads = 3\n");
    write_file(dir.path / "runtime.toml", threads);
    report = runtime->reload();
    REQUIRE_FALSE(report.ok);
    CHECK_THAT(report.error, Catch::Contains("runtime.threads: 2 -> 3") && Catch::Contains("needs a restart"));

    REQUIRE(runtime->publish_json(message("c1", "hi")).accepted());
    CHECK(recorder->nth(1)["body"]["markdownText"] == "Hello, you said: hi");
    runtime->stop();
}

TEST_CASE("events published while plugins are reloaded are each answered once, never by a destroyed plugin", "[reload]") {
    TempDir dir;
    const std::string head = "[store]\nkind = \"memory\"\n[runtime]\nplugin_dir = \"" + fixtures.string() + "\"\n";
    auto config = [&](int round) {
        return head + "[plugins.greeter]\ngreeting = \"Hello " + std::to_string(round) + "\"\n[plugins.thrower]\n" +
               (round % 2 == 0 ? "" : "enabled = false\n");
    };
    write_file(dir.path / "runtime.toml", config(0));
    auto recorder = std::make_shared<BotRecorder>();
    auto runtime = start(dir.path / "runtime.toml", recorder);

    // Publishers run through the reloads. Bounded: each greeter delivery queries the memory journal, which costs
    // what the journal holds, and a pause waits for the batches queued before it (docs/reload.md).
    std::atomic<bool> done{false};
    std::atomic<std::size_t> accepted{0};
    std::vector<std::thread> publishers;
    struct Join {
        std::atomic<bool>& done;
        std::vector<std::thread>& threads;
        ~Join() {
            done = true;
            for (auto& thread : threads) thread.join();
        }
    } join{done, publishers};
    for (int t = 0; t < 2; ++t) {
        publishers.emplace_back([&, t] {
            for (int i = 0; i < 1500 && (!done.load() || i < 50); ++i) {
                const std::string conversation = "c" + std::to_string(t) + "-" + std::to_string(i);
                if (runtime->publish_json(message(conversation, "m")).accepted()) ++accepted;
            }
        });
    }
    for (int round = 1; round <= 10; ++round) {
        write_file(dir.path / "runtime.toml", config(round));
        const auto report = runtime->reload();
        INFO(report.summary());
        CHECK(report.ok);
        if (!report.ok) break;
        CHECK(std::find(report.restarted.begin(), report.restarted.end(), "greeter") != report.restarted.end());
    }
    done = true;
    for (auto& publisher : publishers) publisher.join();
    publishers.clear();
    runtime->drain();
    CHECK(accepted.load() > 0);
    CHECK(recorder->count() == accepted.load());
    CHECK(runtime->metrics().delivery_failures == 0);
    runtime->stop();
}

TEST_CASE("no in-tree plugin defines a symbol that would keep it loaded after dlclose", "[reload]") {
    // STB_GNU_UNIQUE symbols (nm's 'u') make glibc ignore dlclose; a TLS destructor does the same until every thread
    // that touched it has exited. Either would make a reload of a replaced .so run the old code (docs/reload.md).
    if (!fs::exists("/usr/bin/nm")) {
        WARN("no /usr/bin/nm: not checked");
        return;
    }
    for (const std::string plugin : {"channel", "bot", "agent", "survey"}) {
        const fs::path so = fixtures.parent_path() / (plugin + ".so");
        const auto symbols = cim::test::run_process({"/usr/bin/nm", "-D", "--defined-only", so.string()});
        const auto undefined = cim::test::run_process({"/usr/bin/nm", "-D", "--undefined-only", so.string()});
        INFO(so.string());
        REQUIRE(symbols.exit_code == 0);
        CHECK_THAT(symbols.out, !Catch::Contains(" u "));
        CHECK_THAT(undefined.out, !Catch::Contains("__cxa_thread_atexit"));
    }
}
