// Issue 12's promise in one place: a contact center with live work — a web chat customer talking to an agent, a
// customer queued with an offer pending, a customer with the bot, a connector's conversation — stopped with SIGTERM,
// or killed with SIGKILL under store.sync = "full", and started again on the same store. Nobody starts over: the
// agent gets their conversation back, pages reconnect with their token and history, the queued task keeps its
// original deadlines, the wrap-up still brings the survey. The runtime runs as a child process with a manual clock
// (tests/contact_center/manual_clock_runtime.cpp), so the kill is real and the deadlines are stepped, not waited for.
#include "contact_center_process.hpp"

#include <signal.h>

#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "cim/runtime/journal_reader.hpp"

using cim::test::ContactCenterProcess;
using cim::test::ContactCenterSetup;
using cim::test::frame_of;
using cim::test::WebhookServer;
using cim::test::WsClient;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string hello_answer = "Hello! How can I help you today?";
const std::string hours_answer = "We are open Monday to Friday, 9:00 to 17:00.";
const std::string no_agent_answer = "Sorry, no agent is available right now. I am still here to help.";

std::function<bool(const json&)> chat_message(const std::string& from, const std::string& text) {
    return [from, text](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == from && f["text"] == text;
    };
}

std::function<bool(const json&)> desk_entry(const std::string& conversation, const std::string& text) {
    return [conversation, text](const json& f) {
        return f.value("type", "") == "event" && f.value("conversationId", "") == conversation &&
               f["entry"].value("text", "") == text;
    };
}

/// A page's items so far (the frames with a seq): what it must get back after the restart.
std::vector<json> history_of(const WsClient& page) {
    std::vector<json> items;
    for (const auto& f : page.frames()) {
        if (f.contains("seq")) items.push_back(f);
    }
    return items;
}

/// Reconnects with `token` from the start and checks every item of `history` comes back as it was.
std::unique_ptr<WsClient> reconnect(const ContactCenterProcess& cc, const std::string& token,
                                    const std::vector<json>& history) {
    auto page = cc.customer(token, 0);
    CHECK(page->frames().front()["token"] == token);
    for (const auto& item : history) {
        CHECK(page->expect("item " + item["seq"].dump(), [&](const json& f) { return f.value("seq", json()) == item["seq"]; }) ==
              item);
    }
    return page;
}

bool transcript_has(const json& frame, const std::string& text) {
    for (const auto& entry : frame["transcript"]) {
        if (entry.value("text", "") == text) return true;
    }
    return false;
}

cim::test::HttpReply post_connector(const ContactCenterProcess& cc, const std::string& id, const std::string& text) {
    return cim::test::http_request(cc.channel_port(), "POST", "/cim-messages",
                                   cim::test::connector_message(id, "+4300", text).dump(), cim::test::connector_token);
}

void live_work_survives(int signal) {
    WebhookServer webhook(0, cim::test::connector_webhook_secret);
    ContactCenterSetup setup;
    setup.store_options = "sync = \"full\"\n";
    setup.survey_options = "trigger = \"wrapup\"\n";
    setup.channel_options = "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" +
                            cim::test::connector_token + "\"\nwebhook = \"http://127.0.0.1:" +
                            std::to_string(webhook.port()) + "/cim\"\nwebhook_secret = \"" +
                            cim::test::connector_webhook_secret + "\"\n";
    ContactCenterProcess cc(setup);  // accept_timeout 30s, queue_timeout 2m; alice has room for two

    // Before: A talks to alice, B waits with an offer pending at alice, C talks to the bot, the connector too.
    std::string owned, queued, token_a, token_b, token_c, customer_a, customer_c, connector_conversation;
    json expires;
    std::vector<json> history_a, history_c;
    {
        auto alice = cc.desk("alice");
        auto page_a = cc.customer();
        token_a = page_a->frames().front()["token"];
        customer_a = page_a->frames().front()["customerId"];
        page_a->send({{"type", "message"}, {"text", "agent"}});
        owned = alice->expect("the offer of A", frame_of("offer"))["conversationId"];
        alice->send({{"type", "accept"}, {"conversationId", owned}});
        alice->expect("A assigned", frame_of("assigned", owned));
        page_a->send({{"type", "message"}, {"text", "said before the restart"}});
        alice->expect("A's message", desk_entry(owned, "said before the restart"));
        alice->send({{"type", "message"}, {"conversationId", owned}, {"text", "answered before the restart"}});
        page_a->expect("alice's answer", chat_message("AGENT", "answered before the restart"));

        auto page_b = cc.customer();
        token_b = page_b->frames().front()["token"];
        page_b->send({{"type", "message"}, {"text", "agent"}});
        const json offer = alice->expect("the offer of B", [&](const json& f) {
            return f.value("type", "") == "offer" && f.value("conversationId", "") != owned;
        });
        queued = offer["conversationId"];
        expires = offer["expiresAt"];

        auto page_c = cc.customer();
        token_c = page_c->frames().front()["token"];
        customer_c = page_c->frames().front()["customerId"];
        page_c->send({{"type", "message"}, {"text", "hello"}});
        page_c->expect("the bot's answer to C", chat_message("BOT", hello_answer));

        const auto posted = post_connector(cc, "m1", "hello");
        REQUIRE(posted.status == 202);
        connector_conversation = posted.json()["conversationId"];
        webhook.expect("the bot's answer to the connector", [](const json& b) {
            return b["body"].value("markdownText", "") == hello_answer;
        });

        cc.advance(10s);  // 20 s of B's offer and 110 s of its queue time left
        history_a = history_of(*page_a);
        history_c = history_of(*page_c);
        REQUIRE(cc.stop(signal) == (signal == SIGTERM ? 0 : 128 + SIGKILL));
    }
    cc.start();

    // Alice logs in to her conversation with its transcript and to the pending offer with its real deadline.
    auto alice = cc.desk("alice");
    json assigned, offer;
    while (assigned.is_null() || offer.is_null()) {
        const json frame = alice->expect("A and B back", [&](const json& f) {
            return frame_of("assigned", owned)(f) || frame_of("offer", queued)(f);
        });
        (frame["type"] == "assigned" ? assigned : offer) = frame;
    }
    CHECK(transcript_has(assigned, "said before the restart"));
    CHECK(transcript_has(assigned, "answered before the restart"));
    CHECK(offer["expiresAt"] == expires);

    // A's page reconnects with its token and history; the conversation goes on both ways.
    auto page_a = reconnect(cc, token_a, history_a);
    alice->send({{"type", "message"}, {"conversationId", owned}, {"text", "back after the restart"}});
    page_a->expect("alice after the restart", chat_message("AGENT", "back after the restart"));
    page_a->send({{"type", "message"}, {"text", "glad you are"}});
    alice->expect("A's message after the restart, in A", desk_entry(owned, "glad you are"));

    // C's page too, and the bot still answers it there; the connector's conversation goes on.
    auto page_c = reconnect(cc, token_c, history_c);
    page_c->send({{"type", "message"}, {"text", "when are you open?"}});
    page_c->expect("the bot's answer to C after the restart", chat_message("BOT", hours_answer));
    const auto again = post_connector(cc, "m2", "when are you open?");
    REQUIRE(again.status == 202);
    CHECK(again.json()["conversationId"] == connector_conversation);
    webhook.expect("the bot's answer to the connector after the restart", [](const json& b) {
        return b["body"].value("markdownText", "") == hours_answer;
    });

    // B's offer runs out at its original deadline (not 30 s after the restart), then its queue time does.
    auto page_b = cc.customer(token_b, 0);
    cc.advance(19s);
    CHECK_FALSE(alice->receives_within(frame_of("offer_withdrawn", queued), 200ms));
    cc.advance(2s);
    CHECK(alice->expect("B's offer withdrawn", frame_of("offer_withdrawn", queued))["reason"] == "ACCEPT_TIMEOUT");
    cc.advance(88s);
    CHECK_FALSE(page_b->receives_within(chat_message("BOT", no_agent_answer), 200ms));
    cc.advance(2s);
    page_b->expect("B told no agent is available at its original queue deadline", chat_message("BOT", no_agent_answer));

    // Alice wraps up A: the survey asks A's customer, and thanks for the answer.
    alice->send({{"type", "wrapup"}, {"conversationId", owned}, {"categories", {"Resolved"}}});
    const json question = page_a->expect("the survey", [](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == "APP" && f["buttons"].size() == 5;
    });
    page_a->send({{"type", "reply"}, {"text", "5"}, {"payload", "5"}, {"replyTo", question["messageId"]}});
    page_a->expect("the thanks", chat_message("APP", "Thank you for your feedback!"));

    page_a.reset();
    page_b.reset();
    page_c.reset();
    alice.reset();
    REQUIRE(cc.stop(SIGTERM) == 0);

    // The journal: each customer's messages in one conversation, the connector's in the one it started.
    std::set<std::string> conversations_a, conversations_c, conversations_connector;
    auto reader = cim::runtime::JournalReader::open(cc.config());
    reader->journal({}, [&](const std::string& line) {
        const auto event = json::parse(line);
        if (event.value("name", "") != "CUSTOMER_MESSAGE") return;
        const std::string customer = event.value("customerId", "");
        const std::string conversation = event.value("conversationId", "");
        if (customer == customer_a) conversations_a.insert(conversation);
        if (customer == customer_c) conversations_c.insert(conversation);
        if (event.value("id", "").rfind("acme:", 0) == 0) conversations_connector.insert(conversation);
    });
    CHECK(conversations_a == std::set<std::string>{owned});
    CHECK(conversations_c.size() == 1);
    CHECK(conversations_connector == std::set<std::string>{connector_conversation});
}

}  // namespace

TEST_CASE("live conversations with a pending offer and a connector go on after a SIGTERM restart") {
    live_work_survives(SIGTERM);
}

TEST_CASE("live conversations with a pending offer and a connector go on after a SIGKILL with sync full") {
    live_work_survives(SIGKILL);
}
