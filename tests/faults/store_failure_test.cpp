// What a failing store does to publishers, consumers and the tracker, in-process on a real tmpfs: refused events
// leave no trace, a duplicate of an event in flight answers as its original, nothing is delivered before it is
// durable (sync = "full"), and the runtime accepts again by itself once there is room.
#include "small_disk.hpp"

#include <catch2/catch.hpp>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "cim/runtime/journal_reader.hpp"
#include "cim/runtime/runtime.hpp"

using cim::runtime::PublishStatus;
using cim::test::SmallDisk;

namespace {

// Counts what it is handed, by event id.
class Recorder : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "recorder";
        m.version = "1.0.0";
        m.consumes = {"CUSTOMER_MESSAGE"};
        return m;
    }
    void on_event(const cim::Event& event) override {
        std::lock_guard lock(mutex_);
        ++seen_[std::string(event.id())];
    }
    int count(const std::string& id) const {
        std::lock_guard lock(mutex_);
        const auto it = seen_.find(id);
        return it == seen_.end() ? 0 : it->second;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, int> seen_;
};

std::string message(const std::string& id, const std::string& conversation, std::size_t padding = 0) {
    return R"({"id":")" + id + R"(","name":"CUSTOMER_MESSAGE","conversationId":")" + conversation +
           R"(","customerId":"u1","data":{"body":{"markdownText":")" + std::string(padding, 'x') + R"("}}})";
}

cim::runtime::RuntimeOptions quiet() {
    cim::runtime::RuntimeOptions options;
    options.log_to_stderr = false;
    return options;
}

bool eventually(const std::function<bool()>& holds, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!holds()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

}  // namespace

TEST_CASE("with the disk full, refused events leave no trace, a duplicate in flight answers as its original, and "
          "nothing undurable is delivered",
          "[faults][disk][store]") {
    std::string why;
    auto disk = SmallDisk::mount(4 << 20, why);
    if (!disk) {
        WARN("skipped: " << why);
        return;
    }
    auto runtime = cim::runtime::Runtime::from_string(
        "[store]\nkind = \"sqlite\"\npath = \"" + (disk->path() / "journal.db").string() + "\"\nsync = \"full\"\n",
        disk->path(), quiet());
    auto recorder = std::make_shared<Recorder>();
    runtime->add_handler(recorder);
    runtime->start();
    REQUIRE(runtime->publish_json(message("e0", "c1")).accepted());

    disk->fill(0);
    // The same event twice at once: whichever is admitted first waits for a commit that fails, the other is its
    // duplicate and must not be acknowledged ahead of it.
    cim::runtime::PublishResult first, second;
    std::thread a([&] { first = runtime->publish_json(message("e1", "c1", 300'000)); });
    std::thread b([&] { second = runtime->publish_json(message("e1", "c1", 300'000)); });
    a.join();
    b.join();
    CHECK(first.status == PublishStatus::failed);
    CHECK(second.status == PublishStatus::failed);
    CHECK_THAT(first.error, Catch::Contains("journal.db: cannot write: database or disk is full"));
    CHECK_FALSE(runtime->metrics().store_writable);

    // Refused at the door now: not tracked, not journaled, not delivered.
    const auto refused = runtime->publish_json(message("e2", "c2"));
    CHECK(refused.status == PublishStatus::failed);
    CHECK(runtime->conversation_state("c2").is_null());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(recorder->count("e1") == 0);  // sync = "full": no consumer sees what a full disk could still lose

    disk->free_ballast();
    REQUIRE(eventually([&] { return runtime->metrics().store_writable; }));
    // The event in doubt was kept and written once the disk had room: its retry is a duplicate, answered accepted.
    CHECK(runtime->publish_json(message("e1", "c1", 300'000)).accepted());
    CHECK(runtime->publish_json(message("e2", "c2")).accepted());
    runtime->drain();
    CHECK(recorder->count("e1") == 1);
    CHECK(recorder->count("e2") == 1);
    runtime->stop();

    std::map<std::string, int> journaled;
    std::ofstream(disk->path() / "runtime.toml")
        << "[store]\nkind = \"sqlite\"\npath = \"" << (disk->path() / "journal.db").string() << "\"\n";
    cim::runtime::JournalReader::open(disk->path() / "runtime.toml")->journal({}, [&](const std::string& line) {
        const auto event = nlohmann::json::parse(line);
        if (event["name"] == "CUSTOMER_MESSAGE") ++journaled[event["id"].get<std::string>()];
    });
    CHECK(journaled == std::map<std::string, int>{{"e0", 1}, {"e1", 1}, {"e2", 1}});
}
