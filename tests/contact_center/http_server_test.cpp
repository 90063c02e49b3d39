// The HTTP/WebSocket server of plugins/common on its own, over loopback: what a plugin's failing handler or a client
// that never reads does to it. The contact-center tests show the same limits through the real plugins.
#include "plugin_common/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
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
