// What a publish_async completion and a publish_many result (ABI 1.3) report, through a real .so plugin
// (tests/plugins/async_publisher) and a real SQLite journal with sync = "full": CIM_OK only for events that are on
// disk, CIM_BUSY for a full shard, and CIM_ERROR when the disk is full (a real tmpfs) — each exactly once.
#include "small_disk.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "cim/runtime/journal_reader.hpp"
#include "cim/runtime/runtime.hpp"
#include "temp_dir.hpp"

namespace {

struct Completion {
    int code = -1;
    std::string detail;  // the event id, or the error
};

/// The completions written so far, by index; fails when one index was completed twice.
std::map<int, Completion> read_results(const std::filesystem::path& file) {
    std::map<int, Completion> out;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        int index = -1;
        Completion c;
        fields >> index >> c.code;
        std::getline(fields >> std::ws, c.detail);
        INFO("line: " << line);
        REQUIRE(out.count(index) == 0);
        out[index] = c;
    }
    return out;
}

std::map<int, Completion> wait_for_results(const std::filesystem::path& file, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    auto results = read_results(file);
    while (results.size() < count && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        results = read_results(file);
    }
    return results;
}

std::string trigger(const std::string& id) {
    return R"({"id":")" + id + R"(","name":"CUSTOMER_MESSAGE","conversationId":"c1","customerId":"u1",)"
           R"("data":{"body":{"type":"PLAIN","markdownText":"go"}}})";
}

cim::runtime::RuntimeOptions quiet() {
    cim::runtime::RuntimeOptions options;
    options.log_to_stderr = false;
    return options;
}

}  // namespace

TEST_CASE("publish_async and publish_many answer once per event: OK when on disk with sync full and BUSY for a full shard",
          "[faults][publish_async]") {
    const std::string mode = GENERATE(as<std::string>{}, "async", "many");
    INFO("mode = " << mode);
    cim::test::TempDir dir("cimrt-async");
    const auto results = dir.path / "results.txt";
    const auto journal = dir.path / "journal.db";
    const std::string store = "[store]\nkind = \"sqlite\"\npath = \"" + journal.string() + "\"\n";
    auto runtime = cim::runtime::Runtime::from_string(
        "[runtime]\nplugin_dir = \"" CIMRT_TEST_PLUGIN_DIR "\"\nshards = 1\nshard_capacity = 4\n" + store +
            "sync = \"full\"\n[plugins.async_publisher]\nresults = \"" + results.string() + "\"\ncount = 20\nmode = \"" +
            mode + "\"\n",
        dir.path, quiet());
    runtime->start();
    REQUIRE(runtime->publish_json(trigger("t1")).accepted());
    // Twenty publishes from inside the delivery, into the shard that delivery occupies: four fit, the rest are busy.
    const auto completions = wait_for_results(results, 20);
    REQUIRE(completions.size() == 20);
    std::set<std::string> acknowledged;
    std::size_t busy = 0;
    for (const auto& [index, c] : completions) {
        INFO("completion " << index << ": " << c.code << " " << c.detail);
        if (c.code == CIM_OK) {
            CHECK(c.detail == "t1/" + std::to_string(index));
            acknowledged.insert(c.detail);
        } else {
            CHECK(c.code == CIM_BUSY);
            CHECK_THAT(c.detail, Catch::Contains("busy", Catch::CaseSensitive::No));
            ++busy;
        }
    }
    CHECK(acknowledged.size() >= 1);
    CHECK(busy >= 1);
    if (mode == "many") {
        // One batch into one conversation: the accepted events are a prefix, the busy ones the rest.
        for (std::size_t i = 0; i < acknowledged.size(); ++i) CHECK(completions.at(static_cast<int>(i)).code == CIM_OK);
    }
    runtime->stop();
    runtime.reset();

    // Acknowledged means journaled; refused means not.
    std::set<std::string> journaled;
    std::ofstream(dir.path / "runtime.toml") << store;
    cim::runtime::JournalReader::open(dir.path / "runtime.toml")->journal({}, [&](const std::string& line) {
        const auto event = nlohmann::json::parse(line);
        if (event["name"] == "BOT_MESSAGE") journaled.insert(event["id"].get<std::string>());
    });
    CHECK(journaled == acknowledged);
}

TEST_CASE("publish_async reports ERROR naming the full disk once per event and the runtime accepts again after",
          "[faults][publish_async][disk]") {
    std::string why;
    auto disk = cim::test::SmallDisk::mount(4 << 20, why);
    if (!disk) {
        WARN("skipped: " << why);
        return;
    }
    cim::test::TempDir dir("cimrt-async-disk");
    const auto results = dir.path / "results.txt";
    const auto go = dir.path / "go";
    auto runtime = cim::runtime::Runtime::from_string(
        "[runtime]\nplugin_dir = \"" CIMRT_TEST_PLUGIN_DIR "\"\n[store]\nkind = \"sqlite\"\npath = \"" +
            (disk->path() / "journal.db").string() + "\"\nsync = \"full\"\n[plugins.async_publisher]\nresults = \"" +
            results.string() + "\"\nwait_for = \"" + go.string() + "\"\ncount = 3\npadding = 300000\n",
        dir.path, quiet());
    runtime->start();
    REQUIRE(runtime->publish_json(trigger("t1")).accepted());  // on disk; its delivery waits for `go`
    disk->fill(0);
    std::ofstream(go) << "go";
    const auto completions = wait_for_results(results, 3);
    REQUIRE(completions.size() == 3);
    for (const auto& [index, c] : completions) {
        INFO("completion " << index << ": " << c.code << " " << c.detail);
        CHECK(c.code == CIM_ERROR);
        CHECK_THAT(c.detail, Catch::Contains("database or disk is full"));
    }
    disk->free_ballast();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!runtime->metrics().store_writable && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(runtime->metrics().store_writable);
    CHECK(runtime->publish_json(trigger("t2")).accepted());
    runtime->stop();
}
