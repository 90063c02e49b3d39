// A whole contact-center conversation through the four real plugins, over real HTTP and WebSocket on loopback:
// customer → bot → agent → wrap-up → survey, asserting the runtime's tracked state at each step.
#include "contact_center.hpp"

#include <catch2/catch.hpp>

#include <thread>

#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_server.hpp"

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

json cim_message(const std::string& id, const std::string& customer, const std::string& text) {
    return cim::test::connector_message(id, customer, text);
}

std::function<bool(const json&)> webhook_text(const std::string& text) {
    return [text](const json& body) { return body.value("body", json::object()).value("markdownText", "") == text; };
}

std::function<bool(const json&)> entry_with(const std::string& kind, const std::string& text = {}) {
    return [kind, text](const json& f) {
        return f.value("type", "") == "event" && f["entry"].value("kind", "") == kind &&
               (text.empty() || f["entry"].value("text", "") == text);
    };
}

bool transcript_has(const json& frame, const std::string& text) {
    for (const auto& entry : frame["transcript"]) {
        if (entry.value("text", "") == text) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("a connector's customer is served by the bot, an agent and the survey, with webhooks and read receipts") {
    WebhookServer webhook(0, webhook_secret);
    ContactCenterSetup setup;
    setup.channel_options = "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" + token +
                            "\"\nwebhook = \"http://127.0.0.1:" + std::to_string(webhook.port()) + "/cim\"\n" +
                            "webhook_secret = \"" + webhook_secret + "\"\n";
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");

    // 1. The customer writes; the channel starts a session and a conversation, the bot greets and answers.
    auto reply = http_request(cc.channel_port, "POST", "/cim-messages", cim_message("m1", "+4100", "hello").dump(), token);
    REQUIRE(reply.status == 202);
    const std::string conversation = reply.json()["conversationId"];
    const std::string session = reply.json()["channelSessionId"];
    CHECK(reply.json()["customerId"] == "acme:+4100");
    webhook.expect("the bot's answer", webhook_text("Hello! How can I help you today?"));
    auto state = cc.wait_state(conversation, [](const json& s) { return has_active_participant(s, "cimrt-bot"); },
                               "the bot in the conversation");
    CHECK(state["state"] == "ACTIVE");
    CHECK(state["customerId"] == "acme:+4100");
    REQUIRE(state["channelSessions"].size() == 1);
    CHECK(state["channelSessions"][0]["state"] == "STARTED");
    // What went to the connector says where it belongs.
    const json greeting = webhook.nth(1);
    CHECK(greeting["header"]["channelData"]["channelCustomerIdentifier"] == "+4100");
    CHECK(greeting["header"]["conversationId"] == conversation);

    // 2. The customer asks for an agent: the task is queued and offered to alice, with the bot transcript.
    REQUIRE(http_request(cc.channel_port, "POST", "/cim-messages", cim_message("m2", "+4100", "I want an agent").dump(), token)
                .status == 202);
    webhook.expect("the bot's hand-over", webhook_text("Let me find an agent for you."));
    CHECK(cc.recorder->expect("TASK_ENQUEUED", conversation)["data"]["state"] == "QUEUED");
    CHECK(cc.recorder->expect("AGENT_RESERVED", conversation)["data"]["agentId"] == "alice");
    const json offer = alice->expect("an offer", frame_of("offer", conversation));
    CHECK(transcript_has(offer, "hello"));
    CHECK(transcript_has(offer, "Hello! How can I help you today?"));

    // 3. Alice accepts: she is subscribed as the primary participant.
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->expect("the assignment", frame_of("assigned", conversation));
    state = cc.wait_state(conversation, [](const json& s) { return has_active_participant(s, "alice"); },
                          "alice subscribed");
    CHECK(state["state"] == "ACTIVE");
    CHECK(cc.recorder->expect("AGENT_SUBSCRIBED", conversation)["data"]["role"] == "PRIMARY");

    // 4. Messages both ways, with read receipts both ways.
    alice->send({{"type", "message"}, {"conversationId", conversation}, {"text", "Hi, I am Alice"}});
    const json to_customer = webhook.expect("alice's message", webhook_text("Hi, I am Alice"));
    const json read_by_customer = {
        {"id", "dn1"},
        {"header", {{"channelData", {{"channelCustomerIdentifier", "+4100"}, {"serviceIdentifier", "acme"}}}}},
        {"body", {{"type", "DELIVERYNOTIFICATION"}, {"messageId", to_customer["id"]}, {"status", "READ"}}}};
    REQUIRE(http_request(cc.channel_port, "POST", "/cim-messages", read_by_customer.dump(), token).status == 202);
    const json receipt = alice->expect("the customer's read receipt", entry_with("receipt"));
    CHECK(receipt["entry"]["status"] == "READ");

    REQUIRE(http_request(cc.channel_port, "POST", "/cim-messages", cim_message("m3", "+4100", "great, thanks").dump(), token)
                .status == 202);
    const json customer_entry = alice->expect("the customer's message", entry_with("message", "great, thanks"));
    alice->send({{"type", "read"}, {"conversationId", conversation}, {"eventId", customer_entry["entry"]["eventId"]}});
    cc.wait_conversation(conversation, [&](const json& c) {
        for (const auto& a : c["activities"]) {
            if (a["id"] != customer_entry["entry"]["eventId"]) continue;
            for (const auto& u : a["updates"]) {
                if (u["name"] == "MESSAGE_DELIVERY_NOTIFICATION" && u["data"]["status"] == "READ") return true;
            }
        }
        return false;
    }, "alice's read receipt on the customer's message");
    // The bot, quiet while an agent is in, suggests to the agent instead.
    CHECK(alice->receives_within(entry_with("suggestion", "You're welcome!"), std::chrono::seconds(5)));

    // 5. Wrap-up and leave: the survey goes to the customer as a BUTTON message.
    alice->send({{"type", "wrapup"}, {"conversationId", conversation}, {"categories", {"Resolved"}}, {"note", "easy"}});
    const json wrapup = cc.recorder->expect("WRAPUP_APPLIED", conversation);
    CHECK(wrapup["data"]["body"]["wrapups"][0]["categories"] == json::array({"Resolved"}));
    alice->send({{"type", "leave"}, {"conversationId", conversation}});
    alice->expect("the conversation closed on the desk", frame_of("closed", conversation));
    state = cc.wait_state(conversation, [](const json& s) { return !has_active_participant(s, "alice"); }, "alice gone");
    const json survey = webhook.expect("the survey", [](const json& b) { return b["body"].value("type", "") == "BUTTON" &&
                                                                               b["header"]["sender"].value("type", "") == "APP"; });
    REQUIRE(survey["body"]["buttons"].size() == 5);

    // 6. The customer answers 5: a reaction on the question and a CSAT activity crediting alice.
    json answer = cim_message("m4", "+4100", "5");
    answer["header"]["replyToMessageId"] = survey["id"];
    REQUIRE(http_request(cc.channel_port, "POST", "/cim-messages", answer.dump(), token).status == 202);
    const json reaction = cc.recorder->expect("ACTIVITY_REACTION", conversation);
    CHECK(reaction["data"]["score"] == 5);
    const json view = cc.wait_conversation(conversation, [](const json& c) {
        for (const auto& a : c["activities"]) {
            if (a["name"] == "THIRD_PARTY_ACTIVITY" && a["data"].value("kind", "") == "CSAT") return true;
        }
        return false;
    }, "the CSAT activity");
    bool credited = false;
    for (const auto& a : view["activities"]) {
        if (a["name"] == "THIRD_PARTY_ACTIVITY" && a["data"].value("kind", "") == "CSAT") {
            CHECK(a["data"]["score"] == 5);
            CHECK(a["data"]["agentIds"] == json::array({"alice"}));
            credited = true;
        }
        if (a["id"] == reaction["refersTo"]) CHECK(a["updates"].size() == 1);  // the reaction updates the question
    }
    CHECK(credited);
    webhook.expect("the thanks", webhook_text("Thank you for your feedback!"));

    // 7. The connector ends the session: with no agent left, the conversation closes.
    CHECK(http_request(cc.channel_port, "DELETE", "/channel-sessions/" + session, "", token).status == 204);
    state = cc.wait_state(conversation, [](const json& s) { return s["state"] == "CLOSED"; }, "the conversation closed");
    CHECK(state["channelSessions"][0]["state"] == "ENDED");
    // One survey per conversation, whatever happens after.
    CHECK(cc.recorder->count("ACTIVITY_REACTION", conversation) == 1);
}

TEST_CASE("a web chat customer talks to the bot and an agent, and a reconnecting page gets what it missed") {
    ContactCenter cc;
    auto alice = cc.desk("alice");
    auto page = cc.customer();
    const std::string token = page->frames().front()["token"];

    page->send({{"type", "message"}, {"text", "hello"}});
    page->expect("the echo of the customer's message", [](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == "CUSTOMER" && f["text"] == "hello";
    });
    const json bot = page->expect("the bot's answer", [](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == "BOT" && f["text"] == "Hello! How can I help you today?";
    });
    page->send({{"type", "read"}, {"messageId", bot["messageId"]}});

    page->send({{"type", "message"}, {"text", "can I talk to a human?"}});
    const json offer = alice->expect("an offer", frame_of("offer"));
    const std::string conversation = offer["conversationId"];
    page->expect("the queue status", [](const json& f) { return f.value("type", "") == "status"; });
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->expect("the assignment", frame_of("assigned", conversation));
    page->expect("alice joined", [](const json& f) {
        return f.value("type", "") == "status" && f["text"] == "Alice joined the conversation";
    });
    // The customer's read receipt of the bot's answer is tracked as an update of that activity.
    cc.wait_conversation(conversation, [&](const json& c) {
        return !cim::test::events_named(c, "MESSAGE_DELIVERY_NOTIFICATION").empty();
    }, "the customer's read receipt");

    // The page drops; alice writes meanwhile; the page reconnects with its token and last seq and gets it.
    std::uint64_t last_seq = 0;
    for (const auto& f : page->frames()) last_seq = std::max<std::uint64_t>(last_seq, f.value("seq", std::uint64_t{0}));
    page.reset();
    alice->send({{"type", "message"}, {"conversationId", conversation}, {"text", "Are you still there?"}});
    cc.wait_conversation(conversation, [](const json& c) {
        for (const auto& a : c["activities"]) {
            if (a["name"] == "AGENT_MESSAGE") return true;
        }
        return false;
    }, "alice's message in the journal");
    auto again = cc.customer(token, last_seq);
    const json missed = again->expect("the missed agent message", [](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == "AGENT";
    });
    CHECK(missed["text"] == "Are you still there?");
    CHECK(missed["seq"].get<std::uint64_t>() > last_seq);
    for (const auto& f : again->frames()) {
        if (f.contains("seq")) CHECK(f["seq"].get<std::uint64_t>() > last_seq);  // nothing seen twice
    }

    // The customer reads it: alice sees the receipt on her message.
    again->send({{"type", "read"}, {"messageId", missed["messageId"]}});
    alice->expect("the read receipt", entry_with("receipt"));

    // Alice leaves: the page gets the survey and answers it with a button.
    alice->send({{"type", "leave"}, {"conversationId", conversation}});
    const json survey = again->expect("the survey", [](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == "APP" && f["buttons"].size() == 5;
    });
    again->send({{"type", "reply"}, {"text", "4"}, {"payload", "4"}, {"replyTo", survey["messageId"]}});
    CHECK(cc.recorder->expect("ACTIVITY_REACTION", conversation)["data"]["score"] == 4);
    again->expect("the thanks", [](const json& f) {
        return f.value("type", "") == "message" && f["text"] == "Thank you for your feedback!";
    });
    // The bot stayed out of the survey answer.
    CHECK_FALSE(again->receives_within([](const json& f) {
        return f.value("type", "") == "message" && f["text"] == "Sorry, I did not get that. Type 'agent' to talk to a person.";
    }, std::chrono::milliseconds(300)));

    // The customer ends the chat: the session ends, and with no agent in it the conversation closes.
    again->send({{"type", "end"}});
    again->expect("the end of the chat", frame_of("ended"));
    CHECK(cc.wait_state(conversation, [](const json& s) { return s["state"] == "CLOSED"; }, "closed")["state"] == "CLOSED");
}

TEST_CASE("a webhook that fails is retried, and a final failure becomes a FAILED delivery notification") {
    WebhookServer flaky(2);  // fails twice, then accepts
    WebhookServer dead(1000);
    ContactCenterSetup setup;
    setup.channel_options = "webhook_retries = 3\nwebhook_backoff = \"10ms\"\n"
                            "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" + token +
                            "\"\nwebhook = \"http://127.0.0.1:" + std::to_string(flaky.port()) + "/cim\"\n"
                            "webhook_secret = \"" + webhook_secret + "\"\n"
                            "[[plugins.channel.connectors]]\nservice = \"dead\"\ntoken = \"dead-token-0123456789\"\n"
                            "webhook = \"http://127.0.0.1:" + std::to_string(dead.port()) + "/cim\"\n"
                            "webhook_secret = \"" + webhook_secret + "\"\n";
    ContactCenter cc(setup);

    REQUIRE(http_request(cc.channel_port, "POST", "/cim-messages", cim_message("m1", "+1", "hello").dump(), token).status == 202);
    flaky.expect("the greeting after two failures", webhook_text("Hi! I am Cimmy, the cimrt bot. Ask me about our opening hours, or type 'agent' to talk to a person."));
    CHECK(flaky.attempts() >= 3);
    // Order per conversation survives the retries: the greeting arrives before the answer.
    CHECK(flaky.nth(2)["body"]["markdownText"] == "Hello! How can I help you today?");

    json to_dead = cim_message("d1", "+2", "hello");
    to_dead["header"]["channelData"]["serviceIdentifier"] = "dead";
    auto reply = http_request(cc.channel_port, "POST", "/cim-messages", to_dead.dump(), "dead-token-0123456789");
    REQUIRE(reply.status == 202);
    const json failed = cc.recorder->expect("MESSAGE_DELIVERY_NOTIFICATION", reply.json()["conversationId"]);
    CHECK(failed["data"]["status"] == "FAILED");
    CHECK(failed["data"]["reason"].get<std::string>().find("HTTP 500") != std::string::npos);
    CHECK(dead.attempts() >= 4);  // the first try and three retries
}

namespace {

// A consumer that holds every delivery until released, so the bus's bounded queue fills up.
class Dam : public cim::runtime::Handler {
public:
    cim::Manifest manifest() const override {
        cim::Manifest m;
        m.name = "dam";
        m.version = "1";
        m.consumes = {"CUSTOMER_MESSAGE"};
        return m;
    }
    void on_event(const cim::Event&) override {
        std::unique_lock lock(mutex_);
        opened_.wait(lock, [this] { return open_; });
        ++delivered_;
    }
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        opened_.notify_all();
    }
    int delivered() {
        std::lock_guard lock(mutex_);
        return delivered_;
    }

private:
    std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = false;
    int delivered_ = 0;
};

}  // namespace

TEST_CASE("a busy runtime answers 503 with Retry-After, and loses no message it accepted") {
    auto dam = std::make_shared<Dam>();
    ContactCenterSetup setup;
    setup.runtime_options = "shards = 1\nshard_capacity = 4\n";
    setup.channel_options = "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" + token + "\"\n";
    setup.extra_handler = dam;
    ContactCenter cc(setup);

    int accepted = 0;
    cim::test::HttpReply busy;
    for (int i = 0; i < 20 && busy.status == 0; ++i) {
        auto reply = http_request(cc.channel_port, "POST", "/cim-messages",
                                  cim_message("m" + std::to_string(i), "+1", "message " + std::to_string(i)).dump(), token);
        if (reply.status == 202) {
            ++accepted;
        } else {
            busy = reply;
        }
    }
    dam->open();
    REQUIRE(busy.status == 503);
    CHECK(busy.headers.at("Retry-After") == "1");
    CHECK(busy.json()["error"] == "the runtime is busy; retry shortly");
    // The refused message, retried with the same id once there is room, is accepted once.
    cc.runtime->drain();
    const std::string retried = cim_message("m" + std::to_string(accepted), "+1", "again").dump();
    CHECK(http_request(cc.channel_port, "POST", "/cim-messages", retried, token).status == 202);
    cc.runtime->drain();
    CHECK(dam->delivered() == accepted + 1);
}

TEST_CASE("a survey sent after the customer's chat ended is still answered in that conversation") {
    ContactCenterSetup setup;
    setup.survey_options = "trigger = \"closed\"\n";
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");
    auto page = cc.customer();
    page->send({{"type", "message"}, {"text", "agent"}});
    const std::string conversation = alice->expect("an offer", frame_of("offer"))["conversationId"];
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->expect("the assignment", frame_of("assigned", conversation));

    // The customer leaves first; the conversation waits in WRAP_UP for alice, then closes when she leaves.
    page->send({{"type", "end"}});
    page->expect("the end of the chat", frame_of("ended"));
    cc.wait_state(conversation, [](const json& s) { return s["state"] == "WRAP_UP"; }, "wrap-up");
    alice->send({{"type", "leave"}, {"conversationId", conversation}});
    cc.wait_state(conversation, [](const json& s) { return s["state"] == "CLOSED"; }, "closed");
    const json survey = page->expect("the survey", [](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == "APP";
    });
    page->send({{"type", "reply"}, {"text", "5"}, {"payload", "5"}, {"replyTo", survey["messageId"]}});
    CHECK(cc.recorder->expect("ACTIVITY_REACTION", conversation)["data"]["score"] == 5);
    // No new chat was started by the answer: no second welcome, the conversation keeps its one session.
    CHECK_FALSE(page->receives_within([](const json& f) {
        return f.value("type", "") == "message" && f["from"]["type"] == "BOT" &&
               f["text"].get<std::string>().rfind("Hi! I am Cimmy", 0) == 0;
    }, std::chrono::milliseconds(300)));
    CHECK(cc.runtime->conversation_state(conversation)["channelSessions"].size() == 1);
}

namespace {

// An external bot speaking the Rasa REST contract; its answers depend on what the customer wrote.
class FakeRasa {
public:
    FakeRasa() {
        server_ = std::make_unique<cim::web::HttpServer>(
            loop_, cim::web::ListenAddress{"127.0.0.1", 0},
            [](const cim::web::HttpRequest& request) {
                const json asked = json::parse(request.body);
                const std::string text = asked["message"];
                if (text == "broken") return cim::web::HttpResponse::error(500, "rasa is down");
                if (text == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(800));
                json replies = json::array();
                if (text == "human") {
                    replies.push_back({{"recipient_id", asked["sender"]}, {"text", "Handing you over."}, {"custom", {{"handover", true}}}});
                } else {
                    replies.push_back({{"recipient_id", asked["sender"]},
                                       {"text", "Rasa heard: " + text},
                                       {"buttons", {{{"title", "Yes"}, {"payload", "/affirm"}}}}});
                }
                return cim::web::HttpResponse::json(200, replies.dump());
            },
            std::vector<cim::web::WebSocketRoute>{});
        loop_.start();
        server_->start();
    }
    ~FakeRasa() {
        server_->stop();
        loop_.stop();
    }
    std::uint16_t port() const { return server_->port(); }

private:
    cim::web::EventLoop loop_;
    std::unique_ptr<cim::web::HttpServer> server_;
};

}  // namespace

TEST_CASE("an external Rasa bot answers with buttons, hands over on request, and a failing one is taken over by an agent") {
    FakeRasa rasa;
    ContactCenterSetup setup;
    setup.bot_options = "rasa_url = \"http://127.0.0.1:" + std::to_string(rasa.port()) + "/webhooks/rest/webhook\"\n"
                        "rasa_timeout = \"300ms\"\n";
    ContactCenter cc(setup);
    auto alice = cc.desk("alice");

    auto page = cc.customer();
    page->send({{"type", "message"}, {"text", "hello"}});
    const json answer = page->expect("Rasa's answer", [](const json& f) { return f.value("text", "") == "Rasa heard: hello"; });
    REQUIRE(answer["buttons"].size() == 1);
    CHECK(answer["buttons"][0] == json{{"title", "Yes"}, {"payload", "/affirm"}});
    page->send({{"type", "reply"}, {"text", "Yes"}, {"payload", "/affirm"}, {"replyTo", answer["messageId"]}});
    page->expect("the payload sent on to Rasa", [](const json& f) { return f.value("text", "") == "Rasa heard: /affirm"; });
    page->send({{"type", "message"}, {"text", "human"}});
    page->expect("Rasa's hand-over line", [](const json& f) { return f.value("text", "") == "Handing you over."; });
    alice->expect("an offer after Rasa's hand-over", frame_of("offer"));

    // (Broken first: the fake bot answers one request at a time, and the slow one would hold up the next.)
    auto broken = cc.customer();
    broken->send({{"type", "message"}, {"text", "broken"}});
    const json unavailable = cc.recorder->expect("BOT_NOT_AVAILABLE");
    CHECK(unavailable["data"]["reason"] == "HTTP 500");
    auto slow = cc.customer();
    slow->send({{"type", "message"}, {"text", "slow"}});
    const json timeout = cc.recorder->expect("BOT_TIMEOUT");
    CHECK(timeout["data"]["timeoutMs"] == 300);
    // Both are queued for an agent (escalate_on_bot_timeout, on by default).
    CHECK(cc.recorder->expect("TASK_ENQUEUED", unavailable["conversationId"])["data"]["reason"] == "the bot is not available");
    CHECK(cc.recorder->expect("TASK_ENQUEUED", timeout["conversationId"])["data"]["reason"] == "the bot did not answer in time");
}
