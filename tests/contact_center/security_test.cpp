// Who may do what: connectors prove their channel with a bearer token, agents log in and see only their own
// conversations, and a customer's page speaks only for its own conversation. Bad requests get a precise 400.
#include "contact_center.hpp"

#include <catch2/catch.hpp>

using cim::test::ContactCenter;
using cim::test::ContactCenterSetup;
using cim::test::frame_of;
using cim::test::http_request;
using nlohmann::json;

namespace {

const std::string acme_token = "acme-token-0123456789";
const std::string globex_token = "globex-token-0123456789";

ContactCenterSetup two_connectors() {
    ContactCenterSetup setup;
    setup.channel_options = "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" + acme_token +
                            "\"\n[[plugins.channel.connectors]]\nservice = \"globex\"\ntoken = \"" + globex_token + "\"\n";
    return setup;
}

json message_for(const std::string& service) {
    return {{"id", "m1"},
            {"header", {{"channelData", {{"channelCustomerIdentifier", "+1"}, {"serviceIdentifier", service}}}}},
            {"body", {{"type", "PLAIN"}, {"markdownText", "hi"}}}};
}

}  // namespace

TEST_CASE("the connector API needs the channel's own bearer token") {
    ContactCenter cc(two_connectors());
    const std::string body = message_for("acme").dump();

    const auto anonymous = http_request(cc.channel_port, "POST", "/cim-messages", body);
    CHECK(anonymous.status == 401);
    CHECK(anonymous.headers.at("WWW-Authenticate") == "Bearer");
    CHECK(http_request(cc.channel_port, "POST", "/cim-messages", body, "not-a-known-token-at-all").status == 401);

    const auto other_channel = http_request(cc.channel_port, "POST", "/cim-messages", body, globex_token);
    CHECK(other_channel.status == 403);
    CHECK(other_channel.json()["field"] == "header.channelData.serviceIdentifier");

    const auto own = http_request(cc.channel_port, "POST", "/cim-messages", body, acme_token);
    REQUIRE(own.status == 202);
    // Nor may another channel end this channel's session.
    const std::string session = own.json()["channelSessionId"];
    CHECK(http_request(cc.channel_port, "DELETE", "/channel-sessions/" + session, "", globex_token).status == 403);
    CHECK(http_request(cc.channel_port, "DELETE", "/channel-sessions/" + session, "").status == 401);
    CHECK(http_request(cc.channel_port, "DELETE", "/channel-sessions/" + session, "", acme_token).status == 204);
    CHECK(http_request(cc.channel_port, "DELETE", "/channel-sessions/" + session, "", acme_token).status == 409);
}

TEST_CASE("a bad connector request gets 400 with a JSON error naming the field, and nothing is published") {
    ContactCenter cc(two_connectors());
    const auto post = [&](const std::string& body) { return http_request(cc.channel_port, "POST", "/cim-messages", body, acme_token); };

    auto reply = post("{\"id\": ");
    CHECK(reply.status == 400);
    CHECK(reply.json()["error"] == "the body is not valid JSON");

    struct Case {
        std::function<void(json&)> spoil;
        std::string field;
    };
    const std::vector<Case> cases = {
        {[](json& m) { m.erase("id"); }, "id"},
        {[](json& m) { m["id"] = 42; }, "id"},
        {[](json& m) { m.erase("header"); }, "header"},
        {[](json& m) { m["header"]["channelData"].erase("channelCustomerIdentifier"); }, "header.channelData.channelCustomerIdentifier"},
        {[](json& m) { m["header"]["channelData"]["serviceIdentifier"] = ""; }, "header.channelData.serviceIdentifier"},
        {[](json& m) { m["body"].erase("type"); }, "body.type"},
        {[](json& m) { m["body"] = {{"type", "DELIVERYNOTIFICATION"}, {"status", "READ"}}; }, "body.messageId"},
        {[](json& m) { m["body"] = {{"type", "DELIVERYNOTIFICATION"}, {"messageId", "x"}, {"status", "SEEN"}}; }, "body.status"},
    };
    for (const auto& c : cases) {
        json message = message_for("acme");
        c.spoil(message);
        reply = post(message.dump());
        INFO(message.dump() << " -> " << reply.body);
        CHECK(reply.status == 400);
        CHECK(reply.json()["field"] == c.field);
    }
    // A delivery notification for a message never sent to this customer is refused by name.
    reply = post(json{{"id", "dn"},
                      {"header", {{"channelData", {{"channelCustomerIdentifier", "+1"}, {"serviceIdentifier", "acme"}}}}},
                      {"body", {{"type", "DELIVERYNOTIFICATION"}, {"messageId", "nope"}, {"status", "READ"}}}}
                     .dump());
    CHECK(reply.status == 404);
    CHECK(reply.json()["field"] == "body.messageId");
    CHECK(cc.runtime->metrics().accepted == 0);
    // The server keeps serving after all that.
    CHECK(post(message_for("acme").dump()).status == 202);
}

TEST_CASE("an agent logs in with the right password and sees only conversations offered to or owned by them") {
    ContactCenter cc;
    {
        cim::test::WsClient wrong(cc.agent_port, "/agent/ws");
        wrong.send({{"type", "login"}, {"agentId", "alice"}, {"password", "guess"}});
        CHECK(wrong.expect("a refusal", frame_of("error"))["error"] == "invalid credentials");
        CHECK(wrong.wait_closed());
    }
    {
        cim::test::WsClient nobody(cc.agent_port, "/agent/ws");
        nobody.send({{"type", "accept"}, {"conversationId", "c1"}});
        CHECK(nobody.expect("a refusal", frame_of("error"))["error"] == "log in first");
    }
    auto alice = cc.desk("alice");
    auto page = cc.customer();
    page->send({{"type", "message"}, {"text", "agent please"}});
    const std::string conversation = alice->expect("an offer", frame_of("offer"))["conversationId"];
    auto bob = cc.desk("bob");  // online after the offer went to alice

    // Bob can neither take, read nor write alice's conversation.
    bob->send({{"type", "accept"}, {"conversationId", conversation}});
    CHECK(bob->expect("a refusal", frame_of("error", conversation))["error"] ==
          "conversation '" + conversation + "' is not offered to you");
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->expect("the assignment", frame_of("assigned", conversation));
    for (const char* type : {"transcript", "message", "whisper", "read", "wrapup", "leave"}) {
        bob->send({{"type", type}, {"conversationId", conversation}, {"text", "hi"}, {"eventId", "x"}, {"categories", {"Resolved"}}});
        CHECK(bob->expect(std::string("a refusal of ") + type, frame_of("error", conversation))["error"] ==
              "conversation '" + conversation + "' is not yours");
    }
    page->send({{"type", "message"}, {"text", "private details"}});
    alice->expect("the customer's message", [](const json& f) {
        return f.value("type", "") == "event" && f["entry"].value("text", "") == "private details";
    });
    CHECK_FALSE(bob->receives_within([&](const json& f) { return f.value("conversationId", "") == conversation &&
                                                               f.value("type", "") != "error"; },
                                     std::chrono::milliseconds(200)));
}

TEST_CASE("a customer's page speaks only for its own conversation") {
    ContactCenter cc;
    auto alice = cc.desk("alice");
    auto first = cc.customer();
    first->send({{"type", "message"}, {"text", "agent"}});
    const std::string conversation = alice->expect("an offer", frame_of("offer"))["conversationId"];
    const std::string first_customer = first->frames().front()["customerId"];

    // A second page naming the first's conversation and customer, and guessing a token, gets its own identity.
    auto second = cc.customer("0123456789abcdef0123456789abcdef");
    CHECK(second->frames().front()["customerId"] != first_customer);
    second->send({{"type", "message"}, {"text", "intruding"}, {"conversationId", conversation}, {"customerId", first_customer}});
    second->expect("its own echo", [](const json& f) { return f.value("type", "") == "message" && f["text"] == "intruding"; });
    second->send({{"type", "join"}, {"conversationId", conversation}});
    CHECK(second->expect("a refusal", frame_of("error"))["error"] == "unknown frame type 'join'");

    // The first conversation holds none of it; the second never hears the first.
    const json view = cc.runtime->conversation(conversation);
    for (const auto& a : view["activities"]) CHECK(a["data"].dump().find("intruding") == std::string::npos);
    alice->send({{"type", "accept"}, {"conversationId", conversation}});
    alice->send({{"type", "message"}, {"conversationId", conversation}, {"text", "for the first customer only"}});
    first->expect("alice's message", [](const json& f) { return f.value("text", "") == "for the first customer only"; });
    CHECK_FALSE(second->receives_within([](const json& f) { return f.value("text", "") == "for the first customer only"; },
                                        std::chrono::milliseconds(200)));
    // Frames before hello are refused.
    cim::test::WsClient rude(cc.channel_port, "/ws");
    rude.send({{"type", "message"}, {"text", "hi"}});
    CHECK(rude.expect("a refusal", frame_of("error"))["error"] == "send hello first");
    rude.send(json("not an object"));
    CHECK(rude.expect("a refusal", frame_of("error"))["error"] == "malformed frame: expected a JSON object");
}
