// The store under a full disk (a real tmpfs filled by a ballast file): what the connector is told, what the journal
// keeps, and that the runtime accepts again by itself once there is room — with sync "normal" and "full".
#include "small_disk.hpp"

#include <catch2/catch.hpp>

#include <thread>

#include "../contact_center/web_clients.hpp"
#include "cim/runtime/runtime.hpp"
#include "connector_child.hpp"
#include "temp_dir.hpp"

using cim::test::ConnectorChild;
using cim::test::SmallDisk;

TEST_CASE("a full disk is refused with 503 and loses no acknowledged message, and freed it accepts again by itself",
          "[faults][disk]") {
    const std::string sync = GENERATE(as<std::string>{}, "normal", "full");
    INFO("sync = " << sync);
    std::string why;
    auto disk = SmallDisk::mount(8 << 20, why);
    if (!disk) {
        WARN("skipped: " << why);
        return;
    }
    cim::test::TempDir dir("cimrt-faults");
    ConnectorChild runtime(dir.path, disk->path() / "journal.db", sync);
    for (int i = 0; i < 10; ++i) REQUIRE(runtime.post("warm-" + std::to_string(i), "+1").status == 202);

    disk->fill(256 << 10);
    std::vector<std::string> acknowledged, refused;
    int refused_in_a_row = 0;
    for (int i = 0; i < 20000 && refused_in_a_row < 20; ++i) {
        const std::string id = "m" + std::to_string(i);
        const auto reply = runtime.post(id, "+1", std::string(400, 'x'));
        if (reply.status == 202) {
            acknowledged.push_back(id);
            refused_in_a_row = 0;
            continue;
        }
        INFO("status " << reply.status << ": " << reply.body);
        REQUIRE(reply.status == 503);
        CHECK(reply.headers.count("Retry-After") == 1);
        refused.push_back(id);
        ++refused_in_a_row;
    }
    REQUIRE(refused_in_a_row == 20);  // the disk did fill, and the runtime said so instead of acknowledging
    REQUIRE(acknowledged.size() >= 5);  // and some were acknowledged on the last free pages, right before it did
    REQUIRE(runtime.process().wait_for_stderr("cannot write", std::chrono::seconds(5)));
    CHECK_THAT(runtime.process().err(), Catch::Contains("database or disk is full"));

    disk->free_ballast();
    // Without a restart: every refused message, retried with its own id, is accepted once the writer recovers.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (const std::string& id : refused) {
        unsigned status = 0;
        while ((status = runtime.post(id, "+1", std::string(400, 'x')).status) == 503 &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        INFO("retried " << id);
        REQUIRE(status == 202);
    }
    CHECK(runtime.process().wait_for_stderr("writing again", std::chrono::seconds(5)));
    REQUIRE(runtime.terminate() == 0);

    const auto journaled = cim::test::journaled_messages(runtime.config());
    for (const auto& ids : {acknowledged, refused}) {
        for (const std::string& id : ids) {
            INFO("message " << id);
            REQUIRE(journaled.count(id) == 1);
        }
    }
    // The failure is logged once per transition, not once per refused request.
    const std::string& log = runtime.process().err();
    std::size_t failures = 0;
    for (auto at = log.find("cannot write"); at != std::string::npos; at = log.find("cannot write", at + 1)) ++failures;
    CHECK(failures <= 2);
}

TEST_CASE("readyz is 503 naming the store while the disk is full, and 200 again once the store writes by itself",
          "[faults][disk][metrics]") {
    std::string why;
    auto disk = SmallDisk::mount(8 << 20, why);
    if (!disk) {
        WARN("skipped: " << why);
        return;
    }
    cim::test::TempDir dir("cimrt-readyz");
    const std::uint16_t port = cim::test::free_port();
    cim::runtime::RuntimeOptions options;
    options.log_to_stderr = false;
    auto runtime = cim::runtime::Runtime::from_string(
        "[store]\nkind = \"sqlite\"\npath = \"" + (disk->path() / "journal.db").string() + "\"\n[metrics]\nlisten = \"127.0.0.1:" +
            std::to_string(port) + "\"\n",
        dir.path, options);
    runtime->start();
    REQUIRE(cim::test::http_request(port, "GET", "/readyz").status == 200);

    disk->fill(128 << 10);
    const std::string payload(2000, 'x');
    bool refused = false;
    for (int i = 0; i < 20000 && !refused; ++i) {
        const auto result = runtime->publish_json(R"({"name":"CUSTOMER_MESSAGE","conversationId":"c)" + std::to_string(i % 50) +
                                                  R"(","customerId":"u1","data":{"text":")" + payload + R"("}})");
        refused = result.status == cim::runtime::PublishStatus::failed;
        if (result.status == cim::runtime::PublishStatus::busy) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(refused);
    const auto not_ready = cim::test::http_request(port, "GET", "/readyz");
    CHECK(not_ready.status == 503);
    CHECK_THAT(not_ready.body, Catch::Contains("the store cannot write") && Catch::Contains("journal.db"));
    CHECK_THAT(cim::test::http_request(port, "GET", "/metrics").body, Catch::Contains("cimrt_store_writable 0\n"));
    CHECK(cim::test::http_request(port, "GET", "/healthz").status == 200);  // alive, only not ready

    disk->free_ballast();
    CHECK(cim::test::eventually([&] { return cim::test::http_request(port, "GET", "/readyz").status == 200; },
                                std::chrono::seconds(15)));
    CHECK_THAT(cim::test::http_request(port, "GET", "/metrics").body, Catch::Contains("cimrt_store_writable 1\n"));
    runtime->stop();
}
