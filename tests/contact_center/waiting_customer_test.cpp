// What a customer waiting for an agent is told, and what not (issue 16's defects): the bot stays quiet while the
// conversation is queued or offered, and when the customer types a survey answer; a missed offer does not make the
// customer's texts go back and forth; with no agent online the customer hears so at once; the waiting line goes when
// the wait is over. Real plugins over loopback, time stepped by the manual clock.
#include "contact_center.hpp"

#include <catch2/catch.hpp>

#include <string>

using cim::test::ContactCenter;
using cim::test::ContactCenterSetup;
using cim::test::frame_of;
using cim::test::password_hash;
using nlohmann::json;
using namespace std::chrono_literals;

using cim::test::agent;
using cim::test::wants_agent;

namespace {

const std::string fallback = "Sorry, I did not get that. Type 'agent' to talk to a person.";
const std::string no_agent = "Sorry, no agent is available right now. I am still here to help.";
const std::string waiting_line = "Waiting for an agent...";

std::function<bool(const json&)> text_is(const std::string& text) {
    return [text](const json& f) { return f.value("text", "") == text; };
}

std::size_t count_text(const cim::test::WsClient& page, const std::string& text) {
    std::size_t n = 0;
    for (const json& f : page.frames()) n += f.value("text", "") == text ? 1 : 0;
    return n;
}

// Whether the page was told to remove its waiting line (a status frame of key "waiting" with "clear").
bool waiting_line_cleared(const cim::test::WsClient& page) {
    return cim::test::eventually([&] {
        for (const json& f : page.frames()) {
            if (f.value("type", "") == "status" && f.value("key", "") == "waiting" && f.value("clear", false)) return true;
        }
        return false;
    });
}

}  // namespace

TEST_CASE("the bot does not answer a customer whose conversation is queued or offered to an agent") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 1);
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    auto page = wants_agent(cc);
    const std::string conversation = alice->expect("the offer", frame_of("offer"))["conversationId"];
    page->send({{"type", "message"}, {"text", "is anybody there?"}});
    alice->expect("the customer's message on the offer", [](const json& f) {
        return f.value("type", "") == "event" && f["entry"].value("text", "") == "is anybody there?";
    });
    CHECK_FALSE(page->receives_within(text_is(fallback), 500ms));
    // Once the wait is over without an agent, the bot is the customer's counterpart again.
    alice->send({{"type", "decline"}, {"conversationId", conversation}});
    alice->expect("the withdrawal", frame_of("offer_withdrawn", conversation));
    cc.advance(3min);
    page->expect("the apology", text_is(no_agent));
    page->send({{"type", "message"}, {"text", "what now?"}});
    page->expect("the bot answers again", text_is(fallback));
}

TEST_CASE("the bot does not answer a typed survey answer, the survey thanks for it") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 1);
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    auto page = wants_agent(cc);
    const std::string conversation = alice->expect("the offer", frame_of("offer"))["conversationId"];
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->expect("the assignment", frame_of("assigned", conversation));
    alice->send({{"type", "leave"}, {"conversationId", conversation}});
    alice->expect("closed", frame_of("closed", conversation));
    page->expect("the survey question", text_is("How would you rate your conversation with us?"));
    page->send({{"type", "message"}, {"text", "4"}});
    page->expect("the survey's thanks", text_is("Thank you for your feedback!"));
    CHECK_FALSE(page->receives_within(text_is(fallback), 500ms));
    CHECK(count_text(*page, fallback) == 0);
    // Anything that is not an answer to the question is the bot's again.
    page->send({{"type", "message"}, {"text", "bye then"}});
    page->expect("the bot answers", text_is(fallback));
}

TEST_CASE("a missed offer does not make the customer's texts go back and forth") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 2) + agent("bob", 2);
    setup.agent_options = "accept_timeout = \"30s\"\nqueue_timeout = \"10m\"\n";
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    cc.advance(1s);  // alice has been idle longer: she gets the offer first
    auto bob = cc.desk("bob");
    auto page = wants_agent(cc);
    const std::string conversation = alice->expect("the offer to alice", frame_of("offer"))["conversationId"];
    cc.advance(31s);
    alice->expect("the withdrawal", frame_of("offer_withdrawn", conversation));
    bob->expect("the offer to bob", frame_of("offer", conversation));
    bob->send({{"type", "accept"}, {"conversationId", conversation}});
    bob->expect("the assignment", frame_of("assigned", conversation));
    page->expect("bob joined", text_is("bob joined the conversation"));
    // Told once that they wait, and then who joined: nothing claimed and taken back on the way.
    CHECK(count_text(*page, waiting_line) == 1);
    CHECK(count_text(*page, "An agent has been found and will join in a moment.") == 0);
    CHECK(count_text(*page, "Still looking for an agent, thank you for waiting.") == 0);
    // The waiting line is cleared once an agent is there.
    CHECK(waiting_line_cleared(*page));
}

TEST_CASE("with no agent online the customer hears so at once, not after the queue's wait") {
    ContactCenterSetup setup;
    setup.agent_options = "queue_timeout = \"2m\"\n";
    ContactCenter cc(setup);  // alice and bob exist but nobody is logged in
    auto page = wants_agent(cc);
    page->expect("told at once, without the clock moving", text_is(
        "No agent is online right now. You stay in the queue: an agent will answer as soon as one is back."));
    CHECK(cc.recorder->expect("TASK_ENQUEUED")["data"]["agentsOnline"] == 0);
    CHECK(count_text(*page, "You are in the queue; an agent will be with you shortly.") == 0);
    // Still queued: an agent logging in within the wait is offered it.
    auto alice = cc.desk("alice");
    alice->expect("the offer", frame_of("offer"));
}

TEST_CASE("the waiting line is cleared when the queue's wait runs out") {
    ContactCenterSetup setup;
    setup.agents = agent("alice", 1);
    setup.agent_options = "queue_timeout = \"45s\"\n";
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    auto page = wants_agent(cc);
    const std::string conversation = alice->expect("the offer", frame_of("offer"))["conversationId"];
    page->expect("the waiting line", [](const json& f) {
        return f.value("type", "") == "status" && f.value("text", "") == waiting_line;
    });
    alice->send({{"type", "decline"}, {"conversationId", conversation}});
    cc.advance(46s);
    page->expect("the apology", text_is(no_agent));
    // The channel clears the line on the task's CLOSED, the bot apologises on NO_AGENT_AVAILABLE: either may come first.
    CHECK(waiting_line_cleared(*page));
}
