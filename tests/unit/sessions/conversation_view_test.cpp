#include "sessions/conversation_view.hpp"

#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sessions/conversation_json.hpp"
#include "scripted_events.hpp"

using namespace cim::core;
using cim::core::test::feed;
using cim::core::test::Scripted;

namespace {

constexpr EmitterType customer = EmitterType::customer;
constexpr EmitterType agent = EmitterType::agent;
constexpr EmitterType connector = EmitterType::connector;

// The journal the runtime writes for these published events (each accepted event, then what the tracker derived
// from it, stamped), and the live tracker that wrote it.
struct Journal {
    SessionTracker live;
    std::vector<Event> events;

    Journal& publish(const Event& event) {
        const auto step = feed(live, event);
        events.insert(events.end(), step.journaled.begin(), step.journaled.end());
        return *this;
    }
    ConversationViews views() const {
        ConversationViews views;
        for (const Event& e : events) views.add(e);
        return views;
    }
};

// A chat in which every kind of update reaches its activity, and one update names an activity nobody knows.
Journal chat_with_updates() {
    Journal j;
    j.publish(Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web").at(1000).data(R"({"channel":"WEB_CHAT"})"))
        .publish(Scripted("m1", "CUSTOMER_MESSAGE", customer, "u1").emitter_name("Ann").at(2000)
                     .data(R"({"body":{"type":"PLAIN","markdownText":"hi"}})"))
        .publish(Scripted("e2", "AGENT_SUBSCRIBED", agent, "agent-1").at(2500))
        .publish(Scripted("a1", "AGENT_MESSAGE", agent, "agent-1").emitter_name("Bob").at(3000)
                     .data(R"({"body":{"type":"PLAIN","markdownText":"hello"}})"))
        .publish(Scripted("d1", "MESSAGE_DELIVERY_NOTIFICATION", agent, "agent-1").refers_to("m1").at(3100)
                     .data(R"({"status":"READ"})"))
        .publish(Scripted("d2", "MESSAGE_DELIVERY_NOTIFICATION", connector, "web").refers_to("a1").at(3200)
                     .data(R"({"status":"DELIVERED"})"))
        .publish(Scripted("d3", "MESSAGE_DELIVERY_NOTIFICATION", connector, "web").refers_to("a1").at(3300)
                     .data(R"({"status":"READ"})"))
        .publish(Scripted("r1", "ACTIVITY_REACTION", customer, "u1").refers_to("a1").at(3400)
                     .data(R"({"emoji":"👍"})"))
        .publish(Scripted("r2", "ACTIVITY_REACTION", agent, "sup-1").refers_to("m1").at(3500)
                     .data(R"({"flag":"RUDE"})"))
        .publish(Scripted("x1", "ACTIVITY_MODIFIED", customer, "u1").refers_to("m1").at(3600)
                     .data(R"({"action":"EDIT","markdownText":"hi!"})"))
        .publish(Scripted("x2", "ACTIVITY_MODIFIED", customer, "u1").refers_to("m1").at(3700)
                     .data(R"({"action":"DELETE"})"))
        .publish(Scripted("n1", "ACTIVITY_REACTION", agent, "sup-1").refers_to("gone").at(3800)
                     .data(R"({"flag":"EXCELLENT"})"));
    return j;
}

}  // namespace

TEST_CASE("reactions, an edit, a delete and receipts show under their activity, exactly as documented",
          "[views][updates]") {
    const Journal journal = chat_with_updates();
    const nlohmann::json expected = nlohmann::json::parse(R"({
      "id": "c1", "state": "ACTIVE", "customerId": "u1",
      "channelSessions": [{"id": "s1", "state": "STARTED", "interactive": false}],
      "participants": [{"id": "agent-1", "type": "AGENT", "role": "PRIMARY", "active": true}],
      "activities": [
        {"id": "m1", "name": "CUSTOMER_MESSAGE", "timestamp": 2000,
         "emitter": {"id": "u1", "type": "CUSTOMER", "name": "Ann"},
         "data": {"body": {"type": "PLAIN", "markdownText": "hi"}},
         "updates": [
           {"id": "d1", "name": "MESSAGE_DELIVERY_NOTIFICATION", "timestamp": 3100,
            "emitter": {"id": "agent-1", "type": "AGENT", "name": ""}, "data": {"status": "READ"}},
           {"id": "r2", "name": "ACTIVITY_REACTION", "timestamp": 3500,
            "emitter": {"id": "sup-1", "type": "AGENT", "name": ""}, "data": {"flag": "RUDE"}},
           {"id": "x1", "name": "ACTIVITY_MODIFIED", "timestamp": 3600,
            "emitter": {"id": "u1", "type": "CUSTOMER", "name": ""}, "data": {"action": "EDIT", "markdownText": "hi!"}},
           {"id": "x2", "name": "ACTIVITY_MODIFIED", "timestamp": 3700,
            "emitter": {"id": "u1", "type": "CUSTOMER", "name": ""}, "data": {"action": "DELETE"}}]},
        {"id": "a1", "name": "AGENT_MESSAGE", "timestamp": 3000,
         "emitter": {"id": "agent-1", "type": "AGENT", "name": "Bob"},
         "data": {"body": {"type": "PLAIN", "markdownText": "hello"}},
         "updates": [
           {"id": "d2", "name": "MESSAGE_DELIVERY_NOTIFICATION", "timestamp": 3200,
            "emitter": {"id": "web", "type": "CONNECTOR", "name": ""}, "data": {"status": "DELIVERED"}},
           {"id": "d3", "name": "MESSAGE_DELIVERY_NOTIFICATION", "timestamp": 3300,
            "emitter": {"id": "web", "type": "CONNECTOR", "name": ""}, "data": {"status": "READ"}},
           {"id": "r1", "name": "ACTIVITY_REACTION", "timestamp": 3400,
            "emitter": {"id": "u1", "type": "CUSTOMER", "name": ""}, "data": {"emoji": "👍"}}]}],
      "unresolvedUpdates": [
        {"id": "n1", "name": "ACTIVITY_REACTION", "refersTo": "gone", "timestamp": 3800,
         "emitter": {"id": "sup-1", "type": "AGENT", "name": ""}, "data": {"flag": "EXCELLENT"}}]
    })");
    const nlohmann::json actual = journal.views().conversation("c1");
    INFO(actual.dump(2));
    REQUIRE(actual == expected);
    // The activity is updated, never rewritten: its own data stays what was said.
    REQUIRE(actual["activities"][0]["data"]["body"]["markdownText"] == "hi");
    REQUIRE(journal.views().conversation("nope").is_null());
}

TEST_CASE("an update that arrives before its activity, or names none, is kept as unresolved", "[views][updates]") {
    Journal journal;
    journal.publish(Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web"))
        .publish(Scripted("early", "MESSAGE_DELIVERY_NOTIFICATION", connector, "web").refers_to("m1").at(1500))
        .publish(Scripted("m1", "CUSTOMER_MESSAGE", customer, "u1").at(2000))
        .publish(Scripted("late", "MESSAGE_DELIVERY_NOTIFICATION", connector, "web").refers_to("m1").at(2500));
    const nlohmann::json c = journal.views().conversation("c1");
    REQUIRE(c["activities"].size() == 1);
    REQUIRE(c["activities"][0]["data"].is_null());  // no payload: null, not ""
    REQUIRE(c["activities"][0]["updates"].size() == 1);
    REQUIRE(c["activities"][0]["updates"][0]["id"] == "late");
    REQUIRE(c["unresolvedUpdates"] ==
            nlohmann::json::parse(R"([{"id": "early", "name": "MESSAGE_DELIVERY_NOTIFICATION", "refersTo": "m1",
                                       "timestamp": 1500, "emitter": {"id": "web", "type": "CONNECTOR", "name": ""},
                                       "data": null}])"));
}

TEST_CASE("re-association moves a conversation's whole journey to the new customer", "[views][customer]") {
    Journal journal;
    journal.publish(Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web").customer("visitor-7").at(1000))
        .publish(Scripted("m1", "CUSTOMER_MESSAGE", customer, "visitor-7").customer("visitor-7").at(2000))
        .publish(Scripted("f1", "CHANNEL_SESSION_STARTED", connector, "sms").conversation("c2").session("s2")
                     .customer("ann").at(2500))
        .publish(Scripted("m2", "CUSTOMER_MESSAGE", customer, "ann").conversation("c2").session("s2")
                     .customer("ann").at(3000))
        .publish(Scripted("a1", "AGENT_MESSAGE", agent, "agent-1").customer("visitor-7").at(4000))
        .publish(Scripted("d1", "MESSAGE_DELIVERY_NOTIFICATION", connector, "web").customer("visitor-7")
                     .refers_to("a1").at(4100).data(R"({"status":"READ"})"));

    ConversationViews before = journal.views();
    REQUIRE(before.customer("visitor-7")["activities"].size() == 2);
    REQUIRE(before.customer("ann")["activities"].size() == 1);

    // The agent recognises Ann: the visitor's conversation is hers now, with everything said in it before.
    journal.publish(Scripted("e2", "ASSOCIATED_CUSTOMER_CHANGED", agent, "agent-1").customer("ann").at(5000));
    const ConversationViews after = journal.views();
    REQUIRE(after.customer("visitor-7") ==
            nlohmann::json{{"customerId", "visitor-7"}, {"activities", nlohmann::json::array()}});
    const nlohmann::json journey = after.customer("ann");
    REQUIRE(journey["customerId"] == "ann");
    REQUIRE(journey["activities"].size() == 3);
    const std::vector<std::pair<std::string, std::string>> in_time_order = {{"m1", "c1"}, {"m2", "c2"}, {"a1", "c1"}};
    for (std::size_t i = 0; i < in_time_order.size(); ++i) {
        INFO(i);
        REQUIRE(journey["activities"][i]["id"] == in_time_order[i].first);
        REQUIRE(journey["activities"][i]["conversationId"] == in_time_order[i].second);
    }
    REQUIRE(journey["activities"][2] ==
            nlohmann::json::parse(R"({"id": "a1", "name": "AGENT_MESSAGE", "conversationId": "c1", "timestamp": 4000,
                                      "emitter": {"id": "agent-1", "type": "AGENT", "name": ""}, "data": null,
                                      "updates": [{"id": "d1", "name": "MESSAGE_DELIVERY_NOTIFICATION",
                                                   "timestamp": 4100, "data": {"status": "READ"},
                                                   "emitter": {"id": "web", "type": "CONNECTOR", "name": ""}}]})"));
    REQUIRE(after.conversation("c1")["customerId"] == "ann");
}

TEST_CASE("duplicates never double a view", "[views][duplicates]") {
    const Journal journal = chat_with_updates();
    const ConversationViews once = journal.views();

    // The whole journal twice (a replay over a replay), and a retried publish inside it.
    ConversationViews twice;
    for (const Event& e : journal.events) twice.add(e);
    for (const Event& e : journal.events) twice.add(e);
    for (const Event& e : journal.events) {
        if (e.id == "m1") twice.add(e);
    }

    REQUIRE(twice.conversation("c1") == once.conversation("c1"));
    REQUIRE(twice.conversation("c1")["activities"].size() == 2);
    REQUIRE(twice.conversation("c1")["activities"][0]["updates"].size() == 4);
    REQUIRE(twice.customer("u1") == once.customer("u1"));
}

TEST_CASE("replaying the journal gives the live tracker's state, derived events included", "[views][replay]") {
    Journal journal;
    journal.publish(Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "pbx").data(R"({"channel":"VOICE"})"))
        .publish(Scripted("e2", "AGENT_SUBSCRIBED", agent, "agent-1").at(1100))
        .publish(Scripted("leg-1", "CALL_LEG_ENDED", EmitterType::app, "pbx").at(1200))
        .publish(Scripted("e3", "CALL_HOLD", agent, "agent-1").at(1300))
        .publish(Scripted("e4", "CALL_RESUME", agent, "agent-1").at(1400))
        .publish(Scripted("leg-2", "CALL_LEG_ENDED", EmitterType::app, "pbx").at(1500))
        .publish(Scripted("e5", "AGENT_UNSUBSCRIBED", agent, "agent-1").at(1600));

    // The journal holds the runtime's own events right after their causes.
    std::vector<std::string> names;
    for (const Event& e : journal.events) names.push_back(e.name);
    REQUIRE(names == std::vector<std::string>{"CHANNEL_SESSION_STARTED", "TOPIC_STATE_CHANGED", "AGENT_SUBSCRIBED",
                                              "CALL_LEG_ENDED", "CALL_HOLD", "TOPIC_STATE_CHANGED", "CALL_RESUME",
                                              "TOPIC_STATE_CHANGED", "CALL_LEG_ENDED", "AGENT_UNSUBSCRIBED",
                                              "CHANNEL_SESSION_ENDED", "TOPIC_STATE_CHANGED"});

    const nlohmann::json replayed = journal.views().conversation("c1");
    nlohmann::json state = replayed;
    state.erase("activities");
    state.erase("unresolvedUpdates");
    REQUIRE(state == conversation_state_json(*journal.live.find("c1")));
    REQUIRE(replayed["state"] == "CLOSED");
    REQUIRE(replayed["channelSessions"][0] ==
            nlohmann::json{{"id", "s1"}, {"state", "ENDED"}, {"interactive", true}});
    REQUIRE(replayed["activities"].size() == 2);
    REQUIRE(replayed["activities"][0]["id"] == "leg-1");
    REQUIRE(replayed["activities"][1]["id"] == "leg-2");
}
