// Routing through the real agent plugin: capacity, longest idle first, accept timeouts re-queueing to the next agent,
// and NO_AGENT_AVAILABLE after the configured wait — time stepped by the runtime's manual clock.
#include "contact_center.hpp"

#include <catch2/catch.hpp>

#include <thread>

using cim::test::ContactCenter;
using cim::test::ContactCenterSetup;
using cim::test::frame_of;
using cim::test::password_hash;
using nlohmann::json;
using namespace std::chrono_literals;

using cim::test::agent;
using cim::test::wants_agent;


TEST_CASE("an agent is never offered more conversations than their capacity") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 1);
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    auto first = wants_agent(cc);
    const std::string c1 = alice->expect("the first offer", frame_of("offer"))["conversationId"];
    auto second = wants_agent(cc);
    while (cc.recorder->count("TASK_ENQUEUED") < 2) std::this_thread::sleep_for(10ms);
    // The second waits while alice's only slot is taken — offered, then owned.
    CHECK_FALSE(alice->receives_within(frame_of("offer"), 300ms));
    alice->send({{"type", "accept"}, {"conversationId", c1}});
    alice->expect("the assignment", frame_of("assigned", c1));
    CHECK_FALSE(alice->receives_within(frame_of("offer"), 300ms));
    CHECK(cc.recorder->count("AGENT_RESERVED") == 1);
    // Leaving frees the slot: the waiting conversation is offered at once.
    alice->send({{"type", "leave"}, {"conversationId", c1}});
    const json next = alice->expect("the second offer", frame_of("offer"));
    CHECK(next["conversationId"] != c1);
}

TEST_CASE("the longest idle agent is offered first, and an accept timeout re-queues to the next agent") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 2) + agent("bob", 2);
    setup.agent_options = "accept_timeout = \"30s\"\nqueue_timeout = \"10m\"\n";
    // Off by default (issue 16: the customer never heard of the offer); an operator may still configure it.
    setup.bot_options = "accept_timeout_reply = \"Still looking for an agent, thank you for waiting.\"\n";
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    cc.advance(1s);  // alice has been idle longer than bob
    auto bob = cc.desk("bob");
    auto page = wants_agent(cc);
    const std::string conversation = alice->expect("the offer to alice", frame_of("offer"))["conversationId"];
    CHECK_FALSE(bob->receives_within(frame_of("offer"), 200ms));

    cc.advance(29s);
    CHECK_FALSE(alice->receives_within(frame_of("offer_withdrawn"), 200ms));
    cc.advance(2s);
    CHECK(alice->expect("the withdrawal", frame_of("offer_withdrawn", conversation))["reason"] == "ACCEPT_TIMEOUT");
    const json timeout = cc.recorder->expect("ACCEPT_TIMEOUT", conversation);
    CHECK(timeout["data"]["agentId"] == "alice");
    bob->expect("the offer to bob", frame_of("offer", conversation));
    // Alice, who let it time out, can no longer take it; bob can.
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->expect("a refusal", frame_of("error", conversation));
    bob->send({{"type", "accept"}, {"conversationId", conversation}});
    bob->expect("the assignment", frame_of("assigned", conversation));
    cc.wait_state(conversation, [](const json& s) { return cim::test::has_active_participant(s, "bob"); }, "bob subscribed");
    // The customer was told it is taking longer.
    page->expect("the bot's patience", [](const json& f) {
        return f.value("text", "") == "Still looking for an agent, thank you for waiting.";
    });
}

TEST_CASE("with no agent available the customer hears so after the configured wait") {
    ContactCenterSetup setup;
    setup.agent_options = "queue_timeout = \"45s\"\n";
    ContactCenter cc(setup);  // alice and bob exist but nobody is logged in
    auto page = wants_agent(cc);
    const json queued = cc.recorder->expect("TASK_ENQUEUED");
    const std::string conversation = queued["conversationId"];
    cc.advance(44s);
    CHECK(cc.recorder->count("NO_AGENT_AVAILABLE", conversation) == 0);
    cc.advance(2s);
    const json none = cc.recorder->expect("NO_AGENT_AVAILABLE", conversation);
    CHECK(none["data"]["waitedMs"].get<long>() >= 45000);
    page->expect("the bot's apology", [](const json& f) {
        return f.value("text", "") == "Sorry, no agent is available right now. I am still here to help.";
    });
    // The task is closed: an agent logging in later is not offered it.
    auto alice = cc.desk("alice");
    CHECK_FALSE(alice->receives_within(frame_of("offer"), 300ms));
    // The customer can ask again.
    page->send({{"type", "message"}, {"text", "agent"}});
    alice->expect("a new offer", frame_of("offer", conversation));
}

TEST_CASE("an agent who does not answer the customer in time raises AGENT_RESPONSE_TIMEOUT") {
    ContactCenterSetup setup;
    setup.agent_options = "response_timeout = \"1m\"\n";
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    auto page = wants_agent(cc);
    const std::string conversation = alice->expect("an offer", frame_of("offer"))["conversationId"];
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->expect("the assignment", frame_of("assigned", conversation));
    page->send({{"type", "message"}, {"text", "hello?"}});
    alice->expect("the customer's question", [](const json& f) {
        return f.value("type", "") == "event" && f["entry"].value("text", "") == "hello?";
    });
    cc.advance(61s);
    CHECK(cc.recorder->expect("AGENT_RESPONSE_TIMEOUT", conversation)["data"]["agentIds"] == json::array({"alice"}));
    page->expect("the bot's apology", [](const json& f) {
        return f.value("text", "") == "Sorry for the wait, your agent will answer shortly.";
    });
}
