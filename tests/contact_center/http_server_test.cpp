// The HTTP/WebSocket server of plugins/common on its own, over loopback: what a plugin's failing handler or a client
// that never reads does to it. The contact-center tests show the same limits through the real plugins.
#include "plugin_common/http_server.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "plugin_common/event_loop.hpp"
#include "web_clients.hpp"

using cim::test::eventually;
using cim::test::frame_of;
using cim::test::http_request;
using cim::test::SilentClients;
using cim::test::WsClient;
using nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("a handler that throws closes only its own connection, runs its cleanup and is logged") {
    cim::web::EventLoop loop;
    std::mutex mutex;
    std::vector<std::string> logged;
    loop.set_log([&](cim::LogLevel, const std::string& message) {
        std::lock_guard lock(mutex);
        logged.push_back(message);
    });
    std::atomic<int> closed{0};
    cim::web::WebSocketRoute route;
    route.path = "/ws";
    route.on_message = [](const cim::web::ConnectionPtr& c, std::string_view text) {
        if (text == "\"boom\"") throw std::runtime_error("handler bug");
        c->send(std::string(text));
    };
    route.on_close = [&](const cim::web::ConnectionPtr&) { ++closed; };
    cim::web::HttpServer server(
        loop, {"127.0.0.1", 0}, [](const cim::web::HttpRequest&) -> cim::web::HttpResponse { throw std::runtime_error("secret /var/db path"); },
        {route});
    loop.start();
    server.start();

    WsClient victim(server.port(), "/ws");
    WsClient bystander(server.port(), "/ws");
    victim.send(json("boom"));
    CHECK(victim.expect("an error frame", frame_of("error"))["error"] == "internal error; the connection is closed");
    CHECK(victim.wait_closed());
    CHECK(eventually([&] { return closed == 1; }));
    bystander.send(json("echo"));
    CHECK(bystander.expect("its echo", [](const json& f) { return f == "echo"; }) == "echo");

    // A plain handler's exception: a 500 with an id, the text only in the log.
    const auto reply = http_request(server.port(), "GET", "/anything");
    CHECK(reply.status == 500);
    CHECK(reply.body.find("secret") == std::string::npos);
    const std::string id = reply.headers.at("X-Error-Id");
    CHECK(reply.json()["error"].get<std::string>().find(id) != std::string::npos);
    {
        std::lock_guard lock(mutex);
        const auto has = [&](const std::string& a, const std::string& b) {
            return std::any_of(logged.begin(), logged.end(), [&](const std::string& m) {
                return m.find(a) != std::string::npos && m.find(b) != std::string::npos;
            });
        };
        CHECK(has("handler bug", "failed"));
        CHECK(has(id, "secret /var/db path"));
    }
    server.stop();
    loop.stop();
}

TEST_CASE("a WebSocket client that never reads is dropped before its queue passes max_queued_bytes") {
    cim::web::EventLoop loop;
    cim::web::HttpServerOptions options;
    options.max_queued_bytes = 256 * 1024;
    cim::web::WebSocketRoute route;
    route.path = "/ws";
    const std::string chunk(16 * 1024, 'x');
    route.on_message = [&](const cim::web::ConnectionPtr& c, std::string_view) {
        for (int i = 0; i < 4000; ++i) c->send("\"" + chunk + "\"");  // 64 MB: more than any kernel buffers
    };
    cim::web::HttpServer server(loop, {"127.0.0.1", 0}, [](const cim::web::HttpRequest&) { return cim::web::HttpResponse{}; },
                                {route}, options);
    loop.start();
    server.start();
    SilentClients reader;
    reader.open_ws(server.port(), "/ws", {json("flood me")});
    CHECK(eventually([&] { return server.connection_count() == 0; }));
    CHECK(server.peak_queued_bytes() > 0);
    CHECK(server.peak_queued_bytes() <= options.max_queued_bytes);
    server.stop();
    loop.stop();
}

TEST_CASE("out of descriptors, the accept loop waits instead of spinning, and accepts again once one is free") {
    cim::web::EventLoop loop;
    std::atomic<int> refused_accepts{0};
    loop.set_log([&](cim::LogLevel, const std::string& message) {
        if (message.rfind("cannot accept connections", 0) == 0) ++refused_accepts;
    });
    cim::web::HttpServer server(loop, {"127.0.0.1", 0}, [](const cim::web::HttpRequest&) { return cim::web::HttpResponse{}; }, {});
    loop.start();
    server.start();
    SilentClients client;
    client.open_tcp(server.port());  // first, while descriptors are plenty: the client's io_context makes its own
    REQUIRE(eventually([&] { return server.connection_count() == 1; }));
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    // Take every descriptor the (lowered) limit allows, then give back one: the client's socket takes it, and the
    // server's accept of that client finds none (EMFILE) — the state a flood of connections leaves a process in.
    rlimit low = saved;
    low.rlim_cur = cim::test::open_descriptors() + 16;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    std::vector<int> hogs;
    for (int fd = ::dup(0); fd >= 0; fd = ::dup(0)) hogs.push_back(fd);
    ::close(hogs.back());
    hogs.pop_back();
    client.open_tcp(server.port());
    const auto cpu = [] {
        rusage usage{};
        ::getrusage(RUSAGE_SELF, &usage);
        return std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               std::chrono::microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
    };
    const auto before = cpu();
    std::this_thread::sleep_for(300ms);
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(cpu() - before);
    for (int fd : hogs) ::close(fd);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
    CHECK(refused_accepts > 0);  // the state was reached: accept did fail for want of a descriptor
    CHECK(refused_accepts < 10);  // ...and was retried a few times, backing off, not thousands
    CHECK(spent < 100ms);         // a loop retrying accept at once would burn the whole 300 ms
    CHECK(eventually([&] { return server.connection_count() == 2; }, 3s));  // the waiting client is taken in
    server.stop();
    loop.stop();
}
