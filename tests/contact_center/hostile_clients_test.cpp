// The channel and the desk against clients that do not play by the rules: foreign pages, malformed frames, sockets
// that sit idle, floods, one token on many sockets; and what connectors are told. Each test drives the real plugins
// over loopback and would fail on a server without the limit it checks.
#include "contact_center.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "publish_refusal.hpp"

using cim::test::ContactCenter;
using cim::test::ContactCenterSetup;
using cim::test::eventually;
using cim::test::frame_of;
using cim::test::http_request;
using cim::test::SilentClients;
using cim::test::WsClient;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::size_t connections_of(std::uint16_t port) {
    return http_request(port, "GET", "/healthz").json().value("connections", std::size_t{0});
}

const std::string acme_token = "acme-token-0123456789";

// Counts the CUSTOMER_MESSAGEs the runtime accepted (what reaches consumers is what was journaled).
class CustomerMessages : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "test-customer-messages";
        m.version = "1";
        m.consumes = {"CUSTOMER_MESSAGE"};
        return m;
    }
    void on_event(const cim::Event& event) override {
        std::lock_guard lock(mutex_);
        last_conversation_ = std::string(event.conversation_id());
        ++count_;
    }
    std::size_t count() const { return count_; }
    std::string last_conversation() const {
        std::lock_guard lock(mutex_);
        return last_conversation_;
    }

private:
    std::atomic<std::size_t> count_{0};
    mutable std::mutex mutex_;
    std::string last_conversation_;
};

}  // namespace

TEST_CASE("a WebSocket from a foreign Origin is refused, the server's own, a configured one and none are allowed") {
    ContactCenterSetup setup;
    setup.agent_options += "allowed_origins = [\"https://desk.example.com\"]\n";
    ContactCenter cc(setup);
    const auto login = [&](const std::string& origin) {
        WsClient desk(cc.agent_port, "/agent/ws", origin);
        desk.send({{"type", "login"}, {"agentId", "alice"}, {"password", "secret"}});
        return desk.expect("a welcome", frame_of("welcome")).value("type", "");
    };
    // A page on another site, opened in an agent's browser, must not get a desk socket with the agent's password.
    CHECK_THROWS(WsClient(cc.agent_port, "/agent/ws", "http://evil.example"));
    CHECK_THROWS(WsClient(cc.agent_port, "/agent/ws", "http://127.0.0.1:1"));  // same host, another port: another origin
    CHECK(login("http://127.0.0.1:" + std::to_string(cc.agent_port)) == "welcome");
    CHECK(login("https://desk.example.com") == "welcome");
    CHECK(login("") == "welcome");  // not a browser: no Origin to check
    // The customer chat holds to its own origin too (no allowed_origins configured there).
    CHECK_THROWS(WsClient(cc.channel_port, "/ws", "https://desk.example.com"));
    WsClient page(cc.channel_port, "/ws", "http://127.0.0.1:" + std::to_string(cc.channel_port));
    page.send({{"type", "hello"}});
    page.expect("a welcome", frame_of("welcome"));
}

TEST_CASE("200 malformed hellos leak no descriptor: each gets an error frame and its connection is cleaned up") {
    ContactCenter cc;
    const std::size_t before = cim::test::open_descriptors();
    for (int i = 0; i < 200; ++i) {
        WsClient page(cc.channel_port, "/ws");
        page.send({{"type", "hello"}, {"lastSeq", "x"}});
        CHECK(page.expect("a refusal", frame_of("error"), 2s)["error"] == "lastSeq must be a non-negative integer");
    }
    // Each client's socket is closed by now; the server's ends must close too (no CLOSE_WAIT left behind).
    CHECK(eventually([&] { return cim::test::open_descriptors() <= before + 2; }));
    CHECK(connections_of(cc.channel_port) == 1);  // the /healthz request itself
    // A bad hello registered nothing: the next page is a first visit that works as always.
    auto page = cc.customer();
    page->send({{"type", "message"}, {"text", "still here"}});
    page->expect("its echo", [](const json& f) { return f.value("text", "") == "still here"; });
}

TEST_CASE("600 idle WebSockets leave /healthz and the connector API answering: each connection counts once") {
    ContactCenterSetup setup;
    setup.channel_options = "max_connections_per_address = 1000\n[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" +
                            acme_token + "\"\n";
    ContactCenter cc(setup);
    SilentClients idle;
    for (int i = 0; i < 600; ++i) idle.open_ws(cc.channel_port, "/ws");
    CHECK(connections_of(cc.channel_port) == 601);
    const json message = {{"id", "m1"},
                          {"header", {{"channelData", {{"channelCustomerIdentifier", "+1"}, {"serviceIdentifier", "acme"}}}}},
                          {"body", {{"type", "PLAIN"}, {"markdownText", "hi"}}}};
    CHECK(http_request(cc.channel_port, "POST", "/cim-messages", message.dump(), acme_token).status == 202);
    CHECK(idle.closed_by_server() == 0);
}

TEST_CASE("connections past the per-address cap are closed at once, and the address gets room again") {
    ContactCenterSetup setup;
    setup.channel_options = "max_connections_per_address = 5\n";
    ContactCenter cc(setup);
    {
        SilentClients idle;
        for (int i = 0; i < 5; ++i) idle.open_tcp(cc.channel_port);
        CHECK_THROWS(http_request(cc.channel_port, "GET", "/healthz"));
        CHECK(idle.closed_by_server() == 0);  // those within the cap are kept
    }
    CHECK(eventually([&] {
        try {
            return http_request(cc.channel_port, "GET", "/healthz").status == 200;
        } catch (const std::exception&) {
            return false;
        }
    }));
}

TEST_CASE("idle sockets are closed after idle_timeout, a WebSocket that answers pings stays") {
    ContactCenterSetup setup;
    setup.channel_options = "idle_timeout = \"300ms\"\n";
    ContactCenter cc(setup);
    SilentClients idle;
    idle.open_tcp(cc.channel_port);                                // connects, never sends a request
    idle.open_ws(cc.channel_port, "/ws", {json{{"type", "hello"}}});  // a chat that never reads (nor answers pings)
    auto page = cc.customer();                                     // a live page: its client answers pings
    CHECK(eventually([&] { return idle.closed_by_server() == 2; }, 3s));
    std::this_thread::sleep_for(400ms);
    page->send({{"type", "message"}, {"text", "still connected"}});
    page->expect("its echo", [](const json& f) { return f.value("text", "") == "still connected"; });
}

TEST_CASE("frames past max_messages_per_second are read at that pace: a burst is slowed, not lost or cut off") {
    ContactCenterSetup setup;
    setup.channel_options = "max_messages_per_second = 10\n";  // a burst of 20, then 10 per second
    ContactCenter cc(setup);
    auto page = cc.customer();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 35; ++i) page->send({{"type", "ping-" + std::to_string(i)}});
    for (int i = 0; i < 35; ++i) {
        CHECK(page->expect("refusal " + std::to_string(i), frame_of("error"))["error"] ==
              "unknown frame type 'ping-" + std::to_string(i) + "'");
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    // 20 at once (the hello took one), the other 15 at 10 per second: about 1.5 s, never instantly.
    CHECK(elapsed >= 1200ms);
    CHECK(elapsed < 4s);
    page->send({{"type", "message"}, {"text", "still connected"}});
    page->expect("its echo", [](const json& f) { return f.value("text", "") == "still connected"; });
}

TEST_CASE("one visitor token, one live socket: a second page with the token replaces the first") {
    ContactCenter cc;
    auto first = cc.customer();
    const std::string token = first->frames().front()["token"];
    auto second = cc.customer(token);
    CHECK(second->frames().front()["customerId"] == first->frames().front()["customerId"]);
    first->expect("the replacement notice", frame_of("replaced"));
    CHECK(first->wait_closed());
    second->send({{"type", "message"}, {"text", "from the second page"}});
    second->expect("its echo", [](const json& f) { return f.value("text", "") == "from the second page"; });
}

TEST_CASE("an address starting more new visitors per minute than new_visitors_per_minute is refused") {
    ContactCenterSetup setup;
    setup.channel_options = "new_visitors_per_minute = 2\n";
    ContactCenter cc(setup);
    auto first = cc.customer();
    auto second = cc.customer();
    WsClient third(cc.channel_port, "/ws");
    third.send({{"type", "hello"}});
    CHECK(third.expect("a refusal", frame_of("error"))["error"] == "too many new chats from your address; try again in a minute");
    CHECK(third.wait_closed());
    // A known visitor is not a new one: its page comes back whatever the address did.
    auto again = cc.customer(first->frames().front()["token"].get<std::string>());
    CHECK(again->frames().front()["customerId"] == first->frames().front()["customerId"]);
}

TEST_CASE("churning visitors never evict one with an open conversation, a message for an evicted one is FAILED") {
    ContactCenterSetup setup;
    setup.channel_options = "max_visitors = 1\n";
    auto counter = std::make_shared<CustomerMessages>();
    setup.extra_handler = counter;
    ContactCenter cc(setup);
    auto first = cc.customer();
    first->send({{"type", "message"}, {"text", "hello"}});
    REQUIRE(eventually([&] { return counter->count() == 1; }));
    const std::string conversation = counter->last_conversation();
    first.reset();  // the page is gone, its conversation is open: it must not make room
    {
        WsClient churn(cc.channel_port, "/ws");
        churn.send({{"type", "hello"}});
        CHECK(churn.expect("a refusal", frame_of("error"))["error"] == "too many visitors; try again later");
    }
    // Once the chat has ended the visitor may go; a late message for it is reported, not dropped.
    const json ended = {{"name", "CHANNEL_SESSION_ENDED"}, {"conversationId", conversation}, {"customerId", "x"},
                        {"channelSessionId", cc.runtime->conversation_state(conversation)["channelSessions"][0].value("id", "")},
                        {"emitter", {{"id", "ops"}, {"type", "APP"}}}, {"data", json::object()}};
    REQUIRE(cc.runtime->publish_json(ended.dump()).accepted());
    REQUIRE(eventually([&] {
        try {
            WsClient next(cc.channel_port, "/ws");
            next.send({{"type", "hello"}});
            return next.expect("a welcome or a refusal", [](const json& f) {
                return f.value("type", "") == "welcome" || f.value("type", "") == "error";
            }).value("type", "") == "welcome";
        } catch (const std::exception&) {
            return false;
        }
    }));
    const json late = {{"id", "late-1"}, {"name", "AGENT_MESSAGE"}, {"conversationId", conversation}, {"customerId", "x"},
                       {"emitter", {{"id", "alice"}, {"type", "AGENT"}}},
                       {"data", {{"id", "m-late"}, {"body", {{"type", "PLAIN"}, {"markdownText", "are you there?"}}}}}};
    REQUIRE(cc.runtime->publish_json(late.dump()).accepted());
    const json failed = cc.recorder->expect("MESSAGE_DELIVERY_NOTIFICATION", conversation);
    CHECK(failed["refersTo"] == "late-1");
    CHECK(failed["data"]["status"] == "FAILED");
    CHECK_THAT(failed["data"]["reason"].get<std::string>(), Catch::Contains("no longer known"));
}

TEST_CASE("customer messages past the per-session rate get an error frame and are not journaled") {
    ContactCenterSetup setup;
    setup.channel_options = "customer_messages_per_minute = 3\n";
    auto counter = std::make_shared<CustomerMessages>();
    setup.extra_handler = counter;
    ContactCenter cc(setup);
    auto page = cc.customer();
    for (int i = 0; i < 5; ++i) page->send({{"type", "message"}, {"text", "m" + std::to_string(i)}});
    for (int i = 0; i < 3; ++i) {
        page->expect("echo " + std::to_string(i), [&](const json& f) { return f.value("text", "") == "m" + std::to_string(i); });
    }
    for (int i = 0; i < 2; ++i) {
        CHECK(page->expect("a refusal", frame_of("error"))["error"] == "you are sending messages too fast; this one was not sent");
    }
    // The journal holds the three accepted messages and no more.
    CHECK(eventually([&] { return counter->count() == 3; }));
    std::this_thread::sleep_for(200ms);
    CHECK(counter->count() == 3);
}

TEST_CASE("webhooks are signed with the connector's secret, a receiver holding another secret refuses them") {
    const std::string secret = "acme-webhook-secret-0123456789";
    cim::test::WebhookServer good(0, secret);
    cim::test::WebhookServer other(0, "some-other-secret-0123456789");
    ContactCenterSetup setup;
    setup.channel_options = "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" + acme_token +
                            "\"\nwebhook = \"http://127.0.0.1:" + std::to_string(good.port()) + "/cim\"\nwebhook_secret = \"" +
                            secret + "\"\n[[plugins.channel.connectors]]\nservice = \"globex\"\ntoken = \"globex-token-0123456789\"\n" +
                            "webhook = \"http://127.0.0.1:" + std::to_string(other.port()) + "/cim\"\nwebhook_secret = \"" +
                            secret + "\"\n";
    ContactCenter cc(setup);
    const auto message = [](const std::string& service) {
        return json{{"id", "m1"},
                    {"header", {{"channelData", {{"channelCustomerIdentifier", "+1"}, {"serviceIdentifier", service}}}}},
                    {"body", {{"type", "PLAIN"}, {"markdownText", "hi"}}}}
            .dump();
    };
    REQUIRE(http_request(cc.channel_port, "POST", "/cim-messages", message("acme"), acme_token).status == 202);
    REQUIRE(http_request(cc.channel_port, "POST", "/cim-messages", message("globex"), "globex-token-0123456789").status == 202);
    good.nth(1);  // the bot's greeting, verified
    CHECK(good.bad_signatures() == 0);
    CHECK(eventually([&] { return other.bad_signatures() >= 1; }));
}

TEST_CASE("a publish the store refused is 503 with Retry-After and a message naming the problem, busy stays 503") {
    // What the channel plugin sees when the store cannot write (CIM_ERROR today), mapped as the connector API answers.
    const auto failed = cim::channel::refused(cim::PublishResult{CIM_ERROR, "sqlite: disk I/O error at /var/lib/cimrt/x.db"});
    CHECK(failed.status == 503);
    CHECK(std::count(failed.headers.begin(), failed.headers.end(), std::pair<std::string, std::string>{"Retry-After", "5"}) == 1);
    CHECK(json::parse(failed.body)["error"] ==
          "the runtime cannot store events right now (its journal refuses writes); not acknowledged, retry later with "
          "the same message id");
    CHECK(failed.body.find("/var/lib") == std::string::npos);
    const auto busy = cim::channel::refused(cim::PublishResult{CIM_BUSY, "shard 3 is full"});
    CHECK(busy.status == 503);
    CHECK(busy.headers.front() == std::pair<std::string, std::string>{"Retry-After", "1"});
    CHECK(cim::channel::refused(cim::PublishResult{CIM_STOPPED, "stopping"}).status == 503);
    CHECK(cim::channel::refused(cim::PublishResult{CIM_INVALID, "a wrap-up must carry a session"}).status == 400);
    CHECK(cim::channel::refused(cim::PublishResult{CIM_NOT_DECLARED, "x"}).status == 500);
}
