// Bad input at the edges no parser guards: events built through the C ABI (a plugin's, a handler's, an embedder's)
// with bytes that are not UTF-8 or a `data` that is not JSON, a journal entry written before those checks, and a
// journal reached through another path to the same file.
#include "cim/runtime/runtime.hpp"

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <fstream>

#include "cim/sdk.hpp"

using cim::runtime::PublishStatus;

namespace {

cim::runtime::RuntimeOptions quiet() {
    cim::runtime::RuntimeOptions options;
    options.log_to_stderr = false;
    return options;
}

// A handler that publishes through the same C ABI path a plugin's publish takes.
class Publisher : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "publisher";
        m.version = "1.0.0";
        m.publishes = {"CUSTOMER_MESSAGE", "CHANNEL_SESSION_STARTED"};
        return m;
    }
    void on_event(const cim::Event&) override {}
    using cim::runtime::Handler::publish;
};

std::string store_config(const std::filesystem::path& journal) {
    return "[store]\nkind = \"sqlite\"\npath = \"" + journal.string() + "\"\n";
}

}  // namespace

TEST_CASE("an event from the ABI with bytes that are not UTF-8, or data that is not JSON, is refused naming the field",
          "[faults][input]") {
    auto runtime = cim::runtime::Runtime::from_string("[store]\nkind = \"memory\"\n", {}, quiet());
    auto handler = std::make_shared<Publisher>();
    runtime->add_handler(handler);
    runtime->start();

    const auto from_plugin = handler->publish(cim::OutgoingEvent("CHANNEL_SESSION_STARTED")
                                                  .conversation("c1")
                                                  .channel_session(std::string("s\xff\xfe", 3))
                                                  .customer("u1"));
    CHECK(from_plugin.status == PublishStatus::invalid);
    CHECK_THAT(from_plugin.error, Catch::StartsWith("channelSessionId: invalid UTF-8 at byte 1"));

    const auto from_embedder =
        runtime->publish(cim::OutgoingEvent("CUSTOMER_MESSAGE").conversation("c1").customer("u1").data_text("{\"a\":"));
    CHECK(from_embedder.status == PublishStatus::invalid);
    CHECK_THAT(from_embedder.error, Catch::StartsWith("data: malformed JSON"));
    CHECK(runtime->conversation_state("c1").is_null());  // nothing of either was tracked

    // Well-formed text passes the same path.
    CHECK(handler->publish(cim::OutgoingEvent("CUSTOMER_MESSAGE").conversation("c1").customer("u1").data_text("{}"))
              .accepted());
    runtime->stop();
}

TEST_CASE("a poisoned journal entry is named and skipped on restore, and the rest comes back", "[faults][input][store]") {
    cim::test::TempDir dir("cimrt-input");
    const auto journal = dir.path / "journal.db";
    {
        auto runtime = cim::runtime::Runtime::from_string(store_config(journal), dir.path, quiet());
        runtime->start();
        REQUIRE(runtime->publish_json(R"({"name":"CHANNEL_SESSION_STARTED","conversationId":"good","channelSessionId":"s1","customerId":"u1"})")
                    .accepted());
        runtime->stop();
    }
    // As an older runtime could have written it: a session id that is not UTF-8.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(journal.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "INSERT INTO journal (id, name, type, timestamp, conversation_id, channel_session_id, "
                         "customer_id, emitter_id, emitter_type, emitter_name, refers_to, data) VALUES ('bad', "
                         "'CHANNEL_SESSION_STARTED', 4, 1700000000000, 'poisoned', CAST(x'73ff' AS TEXT), 'u2', '', 0, "
                         "'', '', '')",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);

    auto restarted = cim::runtime::Runtime::from_string(store_config(journal), dir.path, quiet());
    REQUIRE_NOTHROW(restarted->start());
    CHECK(restarted->conversation_state("good")["state"] == "ACTIVE");
    CHECK(restarted->conversation_state("poisoned").is_null());
    restarted->stop();
}

TEST_CASE("one journal has one owner, whatever path names it, and an unwritable path says why", "[faults][store]") {
    cim::test::TempDir dir("cimrt-input");
    const auto journal = dir.path / "journal.db";
    auto owner = cim::runtime::Runtime::from_string(store_config(journal), dir.path, quiet());
    std::filesystem::create_symlink(journal, dir.path / "symlink.db");
    std::filesystem::create_hard_link(journal, dir.path / "hardlink.db");
    for (const char* other : {"symlink.db", "hardlink.db"}) {
        INFO(other);
        try {
            cim::runtime::Runtime::from_string(store_config(dir.path / other), dir.path, quiet());
            FAIL("a second owner was let in");
        } catch (const cim::runtime::Error& e) {
            CHECK(e.kind() == cim::runtime::Error::Kind::store);
            CHECK_THAT(e.what(), Catch::Contains("is owned by another running cimrt"));
        }
    }
    try {
        cim::runtime::Runtime::from_string(store_config("/dev/null/journal.db"), dir.path, quiet());
        FAIL("a journal under a file was opened");
    } catch (const cim::runtime::Error& e) {
        CHECK(e.kind() == cim::runtime::Error::Kind::store);
        CHECK_THAT(e.what(), Catch::Contains("cannot open for writing: Not a directory"));
        CHECK_THAT(e.what(), !Catch::Contains("owned by another"));
    }
}
