// Issue 16, "Agent status": only READY agents are offered conversations; missed offers in a row set an agent AWAY,
// with a notice on the desk; a reloaded desk comes back with its session token instead of the password. Real plugins
// over loopback, time stepped by the manual clock.
#include "contact_center.hpp"

#include <catch2/catch.hpp>

#include <string>

using cim::test::ContactCenter;
using cim::test::ContactCenterSetup;
using cim::test::frame_of;
using cim::test::password_hash;
using cim::test::WsClient;
using nlohmann::json;
using namespace std::chrono_literals;

using cim::test::agent;
using cim::test::wants_agent;

namespace {

std::function<bool(const json&)> status_is(const std::string& status) {
    return [status](const json& f) { return f.value("type", "") == "status" && f.value("status", "") == status; };
}

}  // namespace

TEST_CASE("only a READY agent is offered a conversation, and choosing READY again brings the offer") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 2);
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    alice->send({{"type", "status"}, {"status", "AWAY"}});
    alice->expect("the status frame", status_is("AWAY"));
    auto page = wants_agent(cc);
    CHECK_FALSE(alice->receives_within(frame_of("offer"), 500ms));

    alice->send({{"type", "status"}, {"status", "BUSY"}});
    alice->expect("busy", status_is("BUSY"));
    CHECK_FALSE(alice->receives_within(frame_of("offer"), 300ms));
    alice->send({{"type", "status"}, {"status", "READY"}});
    alice->expect("ready", status_is("READY"));
    alice->expect("the offer once ready", frame_of("offer"));

    alice->send({{"type", "status"}, {"status", "SLEEPING"}});
    const json refused = alice->expect("the refusal", frame_of("error"));
    CHECK(refused["error"] == "unknown status 'SLEEPING' (READY, BUSY or AWAY)");
}

TEST_CASE("a customer asking for an agent while every agent online is away hears so at once") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 2);
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    alice->send({{"type", "status"}, {"status", "AWAY"}});
    alice->expect("away", status_is("AWAY"));
    auto page = wants_agent(cc);
    page->expect("told at once", [](const json& f) {
        return f.value("text", "") ==
               "No agent is online right now. You stay in the queue: an agent will answer as soon as one is back.";
    });
}

TEST_CASE("each status change is published as cimrt.AGENT_STATE_CHANGED with the agent and the reason") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 2);
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    alice->send({{"type", "status"}, {"status", "AWAY"}});
    alice->expect("away", status_is("AWAY"));
    REQUIRE(cim::test::eventually([&] { return cc.recorder->count("cimrt.AGENT_STATE_CHANGED") >= 2; }));
    alice.reset();  // the last desk closes: offline
    REQUIRE(cim::test::eventually([&] { return cc.recorder->count("cimrt.AGENT_STATE_CHANGED") >= 3; }));
    const auto changes = cc.recorder->all("cimrt.AGENT_STATE_CHANGED");
    REQUIRE(changes.size() == 3);
    const json& login = changes[0];
    const json& chosen = changes[1];
    const json& logout = changes[2];
    CHECK(login["data"]["previousState"] == "OFFLINE");
    CHECK(chosen["data"] == json({{"agentId", "alice"}, {"agentName", "alice"}, {"state", "AWAY"},
                                  {"previousState", "READY"}, {"reason", "CHOSEN"}, {"load", 0}, {"capacity", 2}}));
    CHECK(chosen["emitter"] == "alice");
    CHECK(chosen["conversationId"] == "");
    CHECK(logout["data"]["state"] == "OFFLINE");
    CHECK(logout["data"]["previousState"] == "AWAY");
}

TEST_CASE("an agent who lets auto_away_after_missed_offers offers in a row time out is set AWAY with a notice") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 1);
    setup.agent_options = "accept_timeout = \"30s\"\nqueue_timeout = \"10m\"\nauto_away_after_missed_offers = 2\n";
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    auto first = wants_agent(cc);
    alice->expect("the first offer", frame_of("offer"));
    cc.advance(31s);
    alice->expect("the first miss", frame_of("offer_withdrawn"));
    CHECK_FALSE(alice->receives_within(status_is("AWAY"), 300ms));  // one miss is not two

    auto second = wants_agent(cc);
    alice->expect("the second offer", frame_of("offer"));
    cc.advance(31s);
    alice->expect("the second miss", frame_of("offer_withdrawn"));
    const json away = alice->expect("set away", status_is("AWAY"));
    CHECK(away["reason"] == "MISSED_OFFERS");
    CHECK(away["notice"] == "You were set to Away: you missed 2 offers in a row. Choose Ready when you are back.");

    auto third = wants_agent(cc);
    CHECK_FALSE(alice->receives_within(frame_of("offer"), 500ms));
    REQUIRE(cim::test::eventually([&] { return cc.recorder->count("TASK_ENQUEUED") >= 3; }));
    const auto enqueued = cc.recorder->all("TASK_ENQUEUED");
    REQUIRE(enqueued.size() == 3);
    CHECK(enqueued[2]["data"]["agentsOnline"] == 1);
    CHECK(enqueued[2]["data"]["agentsReady"] == 0);
    REQUIRE(cim::test::eventually([&] { return cc.recorder->count("cimrt.AGENT_STATE_CHANGED") >= 2; }));
    const auto changes = cc.recorder->all("cimrt.AGENT_STATE_CHANGED");
    REQUIRE(changes.size() == 2);
    CHECK(changes[1]["data"]["reason"] == "MISSED_OFFERS");
    CHECK(changes[1]["data"]["missedOffers"] == 2);
    CHECK(changes[1]["emitter"] == "agent-manager");

    // Back: the waiting conversations are offered again (the oldest first).
    alice->send({{"type", "status"}, {"status", "READY"}});
    alice->expect("ready", status_is("READY"));
    alice->expect("an offer once back", frame_of("offer"));
}

TEST_CASE("an accepted offer starts the count of missed offers again") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 3);
    setup.agent_options = "accept_timeout = \"30s\"\nqueue_timeout = \"10m\"\nauto_away_after_missed_offers = 2\n";
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    auto first = wants_agent(cc);
    alice->expect("the first offer", frame_of("offer"));
    cc.advance(31s);
    alice->expect("missed", frame_of("offer_withdrawn"));
    auto second = wants_agent(cc);
    const std::string conversation = alice->expect("the second offer", [](const json& f) {
        return f.value("type", "") == "offer";
    })["conversationId"];
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->expect("assigned", frame_of("assigned", conversation));
    auto third = wants_agent(cc);
    alice->expect("the third offer", frame_of("offer"));
    cc.advance(31s);
    alice->expect("missed again", frame_of("offer_withdrawn"));
    CHECK_FALSE(alice->receives_within(status_is("AWAY"), 500ms));
}

TEST_CASE("a reloaded desk comes back with its session token, keeps its status, and never needs the password") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 2);
    setup.agent_options = "accept_timeout = \"30s\"\nqueue_timeout = \"2m\"\nsession_timeout = \"1h\"\n";
    ContactCenter cc(setup);
    std::string token;
    {
        auto desk = std::make_unique<WsClient>(cc.agent_port, "/agent/ws");
        desk->send({{"type", "login"}, {"agentId", "alice"}, {"password", "secret"}});
        const json welcome = desk->expect("welcome", frame_of("welcome"));
        REQUIRE(welcome["session"]["token"].is_string());
        token = welcome["session"]["token"];
        CHECK(token.size() == 32);
        CHECK(welcome["status"] == "READY");
        desk->send({{"type", "status"}, {"status", "BUSY"}});
        desk->expect("busy", status_is("BUSY"));
    }  // the page reloads: its socket closes
    auto reloaded = std::make_unique<WsClient>(cc.agent_port, "/agent/ws");
    reloaded->send({{"type", "resume"}, {"token", token}});
    const json welcome = reloaded->expect("welcome again", frame_of("welcome"));
    CHECK(welcome["agent"]["id"] == "alice");
    CHECK(welcome["status"] == "BUSY");
    CHECK(welcome["session"]["token"] == token);

    // A token that is not one, or one that expired: the desk is told to log in, and the socket stays open for it.
    auto stranger = std::make_unique<WsClient>(cc.agent_port, "/agent/ws");
    stranger->send({{"type", "resume"}, {"token", "0123456789abcdef0123456789abcdef"}});
    CHECK(stranger->expect("refused", frame_of("session_refused"))["error"] ==
          "your session is unknown (the runtime may have restarted); please log in again");
    stranger->send({{"type", "accept"}, {"conversationId", "c"}});
    CHECK(stranger->expect("not logged in", frame_of("error"))["error"] == "log in first");

    cc.advance(61min);
    auto late = std::make_unique<WsClient>(cc.agent_port, "/agent/ws");
    late->send({{"type", "resume"}, {"token", token}});
    CHECK(late->expect("expired", frame_of("session_refused"))["error"] == "your session has expired; please log in again");
    late->send({{"type", "login"}, {"agentId", "alice"}, {"password", "secret"}});
    CHECK(late->expect("a password login still works", frame_of("welcome"))["session"]["token"] != token);
}

TEST_CASE("a desk's session does not outlive a restart of the runtime: agents are not persisted") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 2);
    ContactCenter cc(setup);
    std::string token;
    {
        auto desk = std::make_unique<WsClient>(cc.agent_port, "/agent/ws");
        desk->send({{"type", "login"}, {"agentId", "alice"}, {"password", "secret"}});
        token = desk->expect("welcome", frame_of("welcome"))["session"]["token"];
    }
    cc.restart();
    auto desk = std::make_unique<WsClient>(cc.agent_port, "/agent/ws");
    desk->send({{"type", "resume"}, {"token", token}});
    CHECK(desk->expect("refused", frame_of("session_refused"))["error"] ==
          "your session is unknown (the runtime may have restarted); please log in again");
}
