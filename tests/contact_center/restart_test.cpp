// The agent's routing across a runtime restart: its state is kept by the runtime (ABI 1.2 plugin state and
// persistent timers), so an agent who logs in again gets their conversation and their pending offer back, and the
// offer still runs out at its real deadline.
#include "contact_center.hpp"

#include <catch2/catch.hpp>

using cim::test::ContactCenter;
using cim::test::frame_of;
using nlohmann::json;
using namespace std::chrono_literals;

using cim::test::wants_agent;

TEST_CASE("after a restart an agent gets back the conversation they own and their pending offer, at its real deadline") {
    ContactCenter cc;  // accept_timeout 30s, queue_timeout 2m
    std::string owned;
    std::string offered;
    json expires;
    {
        auto alice = cc.desk("alice");
        auto first = wants_agent(cc);
        owned = alice->expect("the first offer", frame_of("offer"))["conversationId"];
        alice->send({{"type", "accept"}, {"conversationId", owned}});
        alice->expect("the assignment", frame_of("assigned", owned));
        first->send({{"type", "message"}, {"text", "said before the restart"}});
        alice->expect("the customer's message", [](const json& f) {
            return f.value("type", "") == "event" && f["entry"].value("text", "") == "said before the restart";
        });
        auto second = wants_agent(cc);
        const json offer = alice->expect("the second offer", [&](const json& f) {
            return f.value("type", "") == "offer" && f.value("conversationId", "") != owned;
        });
        offered = offer["conversationId"];
        expires = offer["expiresAt"];
        cc.advance(10s);  // 20 s of the offer left
    }
    cc.restart();

    auto alice = cc.desk("alice");
    // Both come back, in either order: the restored queue may re-offer before or after the login replays ownership.
    json assigned;
    json offer;
    const auto is_assigned = frame_of("assigned", owned);
    const auto is_offer = frame_of("offer", offered);
    while (assigned.is_null() || offer.is_null()) {
        const json frame = alice->expect("the owned conversation and the pending offer, back",
                                         [&](const json& f) { return is_assigned(f) || is_offer(f); });
        (is_assigned(frame) ? assigned : offer) = frame;
    }
    bool said = false;
    for (const auto& entry : assigned["transcript"]) said = said || entry.value("text", "") == "said before the restart";
    CHECK(said);
    CHECK(offer["expiresAt"] == expires);

    // The offer's timer came back at its deadline, not with a fresh 30 s.
    cc.advance(19s);
    CHECK_FALSE(alice->receives_within(frame_of("offer_withdrawn", offered), 200ms));
    cc.advance(2s);
    CHECK(alice->expect("the withdrawal", frame_of("offer_withdrawn", offered))["reason"] == "ACCEPT_TIMEOUT");
    CHECK(cc.recorder->expect("ACCEPT_TIMEOUT", offered)["data"]["agentId"] == "alice");

    // And the first conversation is still hers to answer and leave.
    alice->send({{"type", "message"}, {"conversationId", owned}, {"text", "still here after the restart"}});
    cc.wait_conversation(owned, [](const json& view) {
        for (const auto& m : cim::test::events_named(view, "AGENT_MESSAGE")) {
            if (m["data"]["body"].value("markdownText", "") == "still here after the restart") return true;
        }
        return false;
    }, "alice's message after the restart");
    alice->send({{"type", "leave"}, {"conversationId", owned}});
    alice->expect("the conversation closed", frame_of("closed", owned));
}
