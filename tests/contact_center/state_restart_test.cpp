// Restarts of the contact center on the same SQLite store (issue 12): what a customer, a connector and the plugins
// were in the middle of goes on afterwards, because the channel, the bot and the survey keep it in the runtime's
// plugin state. The crash variant (SIGKILL of `cimrt run`) is tests/faults/restart_kill_test.cpp; all of it at once,
// with the agent and the queue, under SIGTERM and SIGKILL, is tests/faults/restart_live_test.cpp.
#include "contact_center.hpp"

#include <catch2/catch.hpp>

#include <thread>

using cim::test::ContactCenter;
using cim::test::ContactCenterSetup;
using cim::test::frame_of;
using cim::test::has_active_participant;
using cim::test::http_request;
using cim::test::WebhookServer;
using nlohmann::json;

namespace {

const std::string& token = cim::test::connector_token;
const std::string& webhook_secret = cim::test::connector_webhook_secret;
const std::string greeting = "Hi! I am Cimmy, the cimrt bot. Ask me about our opening hours, or type 'agent' to talk to a person.";
const std::string hello_answer = "Hello! How can I help you today?";

json cim_message(const std::string& id, const std::string& customer, const std::string& text) {
    return cim::test::connector_message(id, customer, text);
}

std::string connector_options(std::uint16_t webhook_port, const std::string& extra = {}) {
    return extra + "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" + token +
           "\"\nwebhook = \"http://127.0.0.1:" + std::to_string(webhook_port) + "/cim\"\nwebhook_secret = \"" +
           webhook_secret + "\"\n";
}

std::function<bool(const json&)> webhook_text(const std::string& text) {
    return [text](const json& body) { return body.value("body", json::object()).value("markdownText", "") == text; };
}

std::function<bool(const json&)> chat_message(const std::string& from, const std::string& text = {}) {
    return [from, text](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == from && (text.empty() || f["text"] == text);
    };
}

std::uint64_t last_seq(const cim::test::WsClient& page) {
    std::uint64_t last = 0;
    for (const auto& f : page.frames()) last = std::max<std::uint64_t>(last, f.value("seq", std::uint64_t{0}));
    return last;
}

// The messages both ways, which the shared recorder does not consume: who wrote what in which conversation.
class MessageLog : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "test-message-log";
        m.version = "1";
        m.consumes = {"CUSTOMER_MESSAGE", "BOT_MESSAGE"};
        return m;
    }
    void on_event(const cim::Event& event) override {
        std::lock_guard lock(mutex_);
        seen_.push_back({{"name", std::string(event.name())},
                         {"id", std::string(event.id())},
                         {"conversationId", std::string(event.conversation_id())},
                         {"customerId", std::string(event.customer_id())},
                         {"data", event.data()}});
    }
    /// Polls for a `name` event of `customer_id` with markdownText `text`; returns it (fails after 5 s).
    json expect(const std::string& name, const std::string& customer_id, const std::string& text) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < deadline) {
            {
                std::lock_guard lock(mutex_);
                for (const auto& e : seen_) {
                    if (e["name"] == name && e["customerId"] == customer_id &&
                        e["data"].value("body", json::object()).value("markdownText", "") == text) {
                        return e;
                    }
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        throw std::runtime_error("no " + name + " '" + text + "' of " + customer_id);
    }
    std::size_t count(const std::string& name, const std::string& conversation_id) const {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (const auto& e : seen_) n += e["name"] == name && e["conversationId"] == conversation_id ? 1 : 0;
        return n;
    }

private:
    mutable std::mutex mutex_;
    std::vector<json> seen_;
};

}  // namespace

TEST_CASE("after a restart the web chat page keeps its token and history and its conversation goes on") {
    WebhookServer webhook(0, webhook_secret);
    auto log = std::make_shared<MessageLog>();
    ContactCenterSetup setup;
    setup.channel_options = connector_options(webhook.port());
    setup.extra_handler = log;
    ContactCenter cc(setup);

    // Before: a web chat customer and a connector customer, each in a conversation with the bot.
    auto page = cc.customer();
    const std::string visitor_token = page->frames().front()["token"];
    const std::string customer_id = page->frames().front()["customerId"];
    page->send({{"type", "message"}, {"text", "hello"}});
    page->expect("the bot's answer", chat_message("BOT", hello_answer));
    const std::string web_conversation = log->expect("CUSTOMER_MESSAGE", customer_id, "hello")["conversationId"];
    const std::uint64_t seen_before = last_seq(*page);
    std::vector<json> history_before;
    for (const auto& f : page->frames()) {
        if (f.contains("seq")) history_before.push_back(f);
    }

    auto posted = http_request(cc.channel_port, "POST", "/cim-messages", cim_message("m1", "+4100", "hello").dump(), token);
    REQUIRE(posted.status == 202);
    const std::string connector_conversation = posted.json()["conversationId"];
    const std::string connector_event = posted.json()["eventId"];
    webhook.expect("the bot's answer to the connector", webhook_text(hello_answer));

    page.reset();
    cc.restart();

    // The page comes back with its token: the same visitor, its history replayed in order, nothing new.
    auto again = cc.customer(visitor_token, 0);
    CHECK(again->frames().front()["token"] == visitor_token);
    CHECK(again->frames().front()["customerId"] == customer_id);
    for (const auto& before : history_before) {
        const json replayed = again->expect("item " + before["seq"].dump() + " replayed",
                                            [&](const json& f) { return f.value("seq", 0) == before["seq"]; });
        CHECK(replayed == before);
    }

    // Its next message stays in the conversation, and the bot's answer (published into that pre-restart
    // conversation) reaches the page, numbered after what it saw.
    again->send({{"type", "message"}, {"text", "what are your opening hours?"}});
    const json answer = again->expect("the bot's answer after the restart",
                                      chat_message("BOT", "We are open Monday to Friday, 9:00 to 17:00."));
    CHECK(answer["seq"].get<std::uint64_t>() > seen_before);
    CHECK(log->expect("CUSTOMER_MESSAGE", customer_id, "what are your opening hours?")["conversationId"] ==
          web_conversation);

    // The connector's retry of its pre-restart message maps to the conversation it went to, as a duplicate.
    const auto duplicates_before = cc.runtime->metrics().duplicates;
    auto retried = http_request(cc.channel_port, "POST", "/cim-messages", cim_message("m1", "+4100", "hello").dump(), token);
    REQUIRE(retried.status == 202);
    CHECK(retried.json()["conversationId"] == connector_conversation);
    CHECK(retried.json()["eventId"] == connector_event);
    cc.runtime->drain();
    CHECK(cc.runtime->metrics().duplicates == duplicates_before + 1);
    CHECK(log->count("CUSTOMER_MESSAGE", connector_conversation) == 1);

    // Its next message continues the same conversation, and the bot's answer goes to its webhook.
    auto next = http_request(cc.channel_port, "POST", "/cim-messages", cim_message("m2", "+4100", "thanks").dump(), token);
    REQUIRE(next.status == 202);
    CHECK(next.json()["conversationId"] == connector_conversation);
    const json delivered = webhook.expect("the bot's answer after the restart", webhook_text("You're welcome!"));
    CHECK(delivered["header"]["conversationId"] == connector_conversation);

    // A delivery notification for a pre-restart message is still resolved.
    const json first = webhook.expect("the pre-restart answer", webhook_text(hello_answer));
    json read = cim_message("dn1", "+4100", "");
    read["body"] = {{"type", "DELIVERYNOTIFICATION"}, {"messageId", first["id"]}, {"status", "READ"}};
    CHECK(http_request(cc.channel_port, "POST", "/cim-messages", read.dump(), token).status == 202);
}

TEST_CASE("a webhook delivery pending at a restart is resumed after it in order and signed afresh") {
    WebhookServer webhook(1, webhook_secret);  // the first POST fails; the retry would wait an hour
    ContactCenterSetup setup;
    setup.channel_options = connector_options(webhook.port(), "webhook_backoff = \"1h\"\n");
    ContactCenter cc(setup);

    auto posted = http_request(cc.channel_port, "POST", "/cim-messages", cim_message("m1", "+4200", "hello").dump(), token);
    REQUIRE(posted.status == 202);
    const std::string conversation = posted.json()["conversationId"];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (webhook.attempts() < 1 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(webhook.attempts() == 1);

    cc.restart();

    // The greeting, then the answer: the queue survived with its order, and each request is signed correctly.
    CHECK(webhook.nth(1)["body"]["markdownText"] == greeting);
    CHECK(webhook.nth(2)["body"]["markdownText"] == hello_answer);
    CHECK(webhook.nth(1)["header"]["conversationId"] == conversation);
    CHECK(webhook.bad_signatures() == 0);
    // Nothing was given up: no FAILED notification.
    CHECK(cc.recorder->count("MESSAGE_DELIVERY_NOTIFICATION", conversation) == 0);
}

TEST_CASE("a conversation an agent took stays taken after a restart and the wrap-up still triggers the survey") {
    auto log = std::make_shared<MessageLog>();
    ContactCenterSetup setup;
    setup.survey_options = "trigger = \"wrapup\"\n";
    setup.extra_handler = log;
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    auto page = cc.customer();
    const std::string visitor_token = page->frames().front()["token"];
    page->send({{"type", "message"}, {"text", "agent"}});
    const std::string conversation = alice->expect("an offer", frame_of("offer"))["conversationId"];
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->expect("the assignment", frame_of("assigned", conversation));
    cc.wait_state(conversation, [](const json& s) { return has_active_participant(s, "alice"); }, "alice subscribed");
    cc.runtime->drain();
    const std::size_t bot_messages = log->count("BOT_MESSAGE", conversation);

    alice.reset();
    page.reset();
    cc.restart();

    // The bot remembers alice is in: it suggests to her instead of answering the customer.
    auto again = cc.customer(visitor_token, 0);
    again->send({{"type", "message"}, {"text", "hello"}});
    CHECK(cc.recorder->expect("BOT_SUGGESTION", conversation)["data"]["suggestion"] == hello_answer);
    cc.runtime->drain();
    CHECK(log->count("BOT_MESSAGE", conversation) == bot_messages);

    // Alice's wrap-up after the restart: the survey (which remembers her) asks, and the answer credits her.
    const auto applied = cc.runtime->publish(cim::OutgoingEvent("WRAPUP_APPLIED")
                                                 .conversation(conversation)
                                                 .emitter(cim::EmitterType::agent, "alice", "Alice")
                                                 .data({{"body", {{"wrapups", {{{"categories", {"Resolved"}}}}}}}}));
    REQUIRE(applied.accepted());
    const json question = again->expect("the survey", [](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == "APP" && f["buttons"].size() == 5;
    });
    again->send({{"type", "reply"}, {"text", "5"}, {"payload", "5"}, {"replyTo", question["messageId"]}});
    CHECK(cc.recorder->expect("ACTIVITY_REACTION", conversation)["data"]["score"] == 5);
    cc.wait_conversation(conversation, [](const json& c) {
        for (const auto& a : c["activities"]) {
            if (a["name"] == "THIRD_PARTY_ACTIVITY" && a["data"].value("kind", "") == "CSAT") {
                return a["data"]["agentIds"] == json::array({"alice"});
            }
        }
        return false;
    }, "the CSAT activity crediting alice");
}

TEST_CASE("a survey question pending at a restart is still answered after it in its conversation") {
    ContactCenter cc;
    auto alice = cc.desk("alice");
    auto page = cc.customer();
    const std::string visitor_token = page->frames().front()["token"];
    page->send({{"type", "message"}, {"text", "agent"}});
    const std::string conversation = alice->expect("an offer", frame_of("offer"))["conversationId"];
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->expect("the assignment", frame_of("assigned", conversation));
    alice->send({{"type", "leave"}, {"conversationId", conversation}});
    const json question = page->expect("the survey", [](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == "APP" && f["buttons"].size() == 5;
    });

    alice.reset();
    page.reset();
    cc.restart();

    // The page gets the question back from its history and answers it with a button.
    auto again = cc.customer(visitor_token, 0);
    const json replayed = again->expect("the survey replayed", [&](const json& f) {
        return f.value("messageId", "") == question["messageId"];
    });
    CHECK(replayed["seq"] == question["seq"]);
    again->send({{"type", "reply"}, {"text", "4"}, {"payload", "4"}, {"replyTo", question["messageId"]}});
    CHECK(cc.recorder->expect("ACTIVITY_REACTION", conversation)["data"]["score"] == 4);
    again->expect("the thanks", chat_message("APP", "Thank you for your feedback!"));
}
