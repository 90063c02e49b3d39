// Batch admission (Runtime::publish_many, publish_many_json): each event is answered as publish() would answer it,
// conversations keep their order, a full shard refuses a suffix that a retry delivers in order, and with
// sync = "full" every accepted event of the batch is on disk when the call returns.
#include "cim/runtime/runtime.hpp"

#include <catch2/catch.hpp>

#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>

#include "cim/runtime/journal_reader.hpp"
#include "../faults/temp_dir.hpp"

using cim::runtime::PublishStatus;

namespace {

// Records the text of every customer message per conversation; blocks while `hold` is set (to fill a shard).
class Recorder : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "recorder";
        m.version = "1";
        m.consumes = {"CUSTOMER_MESSAGE"};
        return m;
    }
    void on_event(const cim::Event& event) override {
        std::unique_lock lock(mutex_);
        released_.wait(lock, [&] { return !hold_; });
        seen_[std::string(event.conversation_id())].push_back(event.data().value("text", ""));
    }
    void hold(bool on) {
        {
            std::lock_guard lock(mutex_);
            hold_ = on;
        }
        released_.notify_all();
    }
    std::map<std::string, std::vector<std::string>> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable released_;
    bool hold_ = false;
    std::map<std::string, std::vector<std::string>> seen_;
};

std::string message(const std::string& id, const std::string& conversation, const std::string& text) {
    return R"({"id":")" + id + R"(","name":"CUSTOMER_MESSAGE","conversationId":")" + conversation +
           R"(","customerId":"u1","data":{"text":")" + text + R"("}})";
}

cim::runtime::RuntimeOptions quiet() {
    cim::runtime::RuntimeOptions options;
    options.log_to_stderr = false;
    return options;
}

}  // namespace

TEST_CASE("publish_many answers each event as publish would and keeps each conversation's order", "[publish_many]") {
    auto runtime = cim::runtime::Runtime::from_string("[runtime]\nshards = 4\n[store]\nkind = \"memory\"\n",
                                                      std::filesystem::temp_directory_path(), quiet());
    auto recorder = std::make_shared<Recorder>();
    runtime->add_handler(recorder);
    runtime->start();
    std::vector<std::string> lines;
    std::map<std::string, std::vector<std::string>> expected;
    for (int i = 0; i < 40; ++i) {
        const std::string conversation = "c" + std::to_string(i % 5);
        const std::string text = "m" + std::to_string(i);
        lines.push_back(message("e" + std::to_string(i), conversation, text));
        expected[conversation].push_back(text);
    }
    lines.insert(lines.begin() + 7, "{not json");
    lines.insert(lines.begin() + 20, R"({"name":"NO_SUCH_EVENT","conversationId":"c1"})");
    const auto results = runtime->publish_many_json(lines);
    REQUIRE(results.size() == 42);
    CHECK(results[7].status == PublishStatus::invalid);
    CHECK(results[20].status == PublishStatus::invalid);
    CHECK_THAT(results[20].error, Catch::Contains("NO_SUCH_EVENT"));
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (i == 7 || i == 20) continue;
        INFO("line " << i << ": " << results[i].error);
        CHECK(results[i].accepted());
        accepted += results[i].accepted() ? 1 : 0;
    }
    CHECK(accepted == 40);
    CHECK(results[0].event_id == "e0");
    // A repeated id in a later batch is the duplicate it is: accepted, not delivered again.
    CHECK(runtime->publish_many_json({message("e0", "c0", "m0")})[0].accepted());
    runtime->drain();
    CHECK(recorder->seen() == expected);
    CHECK(runtime->metrics().duplicates == 1);
    runtime->stop();
}

TEST_CASE("publish_many into a full shard refuses a busy suffix and its retry delivers in order", "[publish_many]") {
    auto runtime = cim::runtime::Runtime::from_string(
        "[runtime]\nshards = 1\nshard_capacity = 4\n[store]\nkind = \"memory\"\n", std::filesystem::temp_directory_path(),
        quiet());
    auto recorder = std::make_shared<Recorder>();
    runtime->add_handler(recorder);
    runtime->start();
    recorder->hold(true);
    std::vector<std::string> lines;
    for (int i = 0; i < 10; ++i) lines.push_back(message("e" + std::to_string(i), "c1", "m" + std::to_string(i)));
    const auto results = runtime->publish_many_json(lines);
    std::size_t accepted = 0;
    while (accepted < results.size() && results[accepted].accepted()) ++accepted;
    CHECK(accepted == 4);  // the shard's capacity
    std::vector<std::string> retry;
    for (std::size_t i = accepted; i < results.size(); ++i) {
        INFO("event " << i);
        CHECK(results[i].status == PublishStatus::busy);
        CHECK_THAT(results[i].error, Catch::Contains("busy"));
        retry.push_back(lines[i]);
    }
    CHECK(runtime->metrics().busy == 6);
    recorder->hold(false);
    runtime->drain();
    for (auto answers = runtime->publish_many_json(retry); !retry.empty(); answers = runtime->publish_many_json(retry)) {
        std::vector<std::string> again;
        for (std::size_t i = 0; i < answers.size(); ++i) {
            if (answers[i].status == PublishStatus::busy) again.push_back(retry[i]);
            else REQUIRE(answers[i].accepted());
        }
        retry = std::move(again);
        runtime->drain();
    }
    runtime->drain();
    CHECK(recorder->seen().at("c1") ==
          std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"});
    runtime->stop();
}

TEST_CASE("publish_many with sync full returns once every accepted event of the batch is journaled", "[publish_many]") {
    cim::test::TempDir dir("cimrt-many");
    const std::string store = "[store]\nkind = \"sqlite\"\npath = \"" + (dir.path / "journal.db").string() + "\"\n";
    auto runtime = cim::runtime::Runtime::from_string("[runtime]\nshards = 4\n" + store + "sync = \"full\"\n", dir.path,
                                                      quiet());
    runtime->start();
    std::vector<cim::OutgoingEvent> events;
    for (int i = 0; i < 100; ++i) {
        events.push_back(cim::OutgoingEvent("CUSTOMER_MESSAGE")
                             .id("e" + std::to_string(i))
                             .conversation("c" + std::to_string(i % 7))
                             .customer("u1")
                             .data({{"text", "m" + std::to_string(i)}}));
    }
    const auto results = runtime->publish_many(events);
    for (const auto& r : results) REQUIRE(r.accepted());
    // Read by a second reader while the runtime still runs: what was acknowledged is committed.
    std::ofstream(dir.path / "runtime.toml") << store;
    std::size_t journaled = 0;
    cim::runtime::JournalReader::open(dir.path / "runtime.toml")->journal({}, [&](const std::string& line) {
        journaled += nlohmann::json::parse(line)["name"] == "CUSTOMER_MESSAGE" ? 1 : 0;
    });
    CHECK(journaled == 100);
    runtime->stop();
}
