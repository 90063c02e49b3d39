#include "sessions/session_tracker.hpp"

#include <cstdint>
#include <stdexcept>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sessions/conversation_json.hpp"
#include "scripted_events.hpp"

using namespace cim::core;
using cim::core::test::feed;
using cim::core::test::require_session_event;
using cim::core::test::require_state_changed;
using cim::core::test::Scripted;
using cim::core::test::Step;

namespace {

constexpr EmitterType customer = EmitterType::customer;
constexpr EmitterType agent = EmitterType::agent;
constexpr EmitterType bot = EmitterType::bot;
constexpr EmitterType app = EmitterType::app;
constexpr EmitterType sys = EmitterType::system;  // not `system`: that is ::system() of <cstdlib>
constexpr EmitterType connector = EmitterType::connector;

std::string state_of(const SessionTracker& tracker, const std::string& conversation = "c1") {
    const Conversation* c = tracker.find(conversation);
    return c == nullptr ? "<none>" : std::string(to_string(c->state));
}

const ChannelSession& session(const SessionTracker& tracker, const std::string& id = "s1") {
    for (const ChannelSession& s : tracker.find("c1")->channel_sessions) {
        if (s.id == id) return s;
    }
    FAIL("no channel session " << id);
    throw std::logic_error("unreachable");
}

const Participant& participant(const SessionTracker& tracker, const std::string& id) {
    for (const Participant& p : tracker.find("c1")->participants) {
        if (p.id == id) return p;
    }
    FAIL("no participant " << id);
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("a chat the bot serves, escalated to an agent who wraps up", "[tracker][chat]") {
    SessionTracker tracker;

    Step step = feed(tracker, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web").at(1000)
                                  .data(R"({"channel":"WEB_CHAT"})"));
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "CREATED", "ACTIVE", "CHANNEL_SESSION_STARTED", 1000);
    REQUIRE(state_of(tracker) == "ACTIVE");
    REQUIRE(session(tracker).state == ChannelSessionState::started);
    REQUIRE_FALSE(session(tracker).interactive);
    REQUIRE(tracker.find("c1")->customer_id == "u1");

    step = feed(tracker, Scripted("m1", "CUSTOMER_MESSAGE", customer, "u1").at(2000).data(R"({"body":{}})"));
    REQUIRE(step.derived.empty());
    REQUIRE(state_of(tracker) == "ACTIVE");
    REQUIRE(session(tracker).last_customer_activity_ms == 2000);

    step = feed(tracker, Scripted("b1", "BOT_MESSAGE", bot, "bot-1").at(3000));
    REQUIRE(step.derived.empty());
    REQUIRE(tracker.find("c1")->participants.size() == 1);
    REQUIRE(participant(tracker, "bot-1").type == EmitterType::bot);
    REQUIRE(participant(tracker, "bot-1").role == ParticipantRole::primary);
    REQUIRE(state_of(tracker) == "ACTIVE");
    REQUIRE(session(tracker).last_customer_activity_ms == 2000);  // a bot speaking is not the customer being there

    // The bot hands over: an agent joins, the bot stays on as assistant.
    step = feed(tracker, Scripted("x1", "ACTION_MESSAGE", bot, "bot-1").at(4000).data(R"({"action":"FIND_AGENT"})"));
    REQUIRE(step.derived.empty());
    step = feed(tracker, Scripted("e2", "AGENT_SUBSCRIBED", agent, "agent-7").at(5000).data(R"({"role":"PRIMARY"})"));
    REQUIRE(step.derived.empty());
    REQUIRE(participant(tracker, "agent-7").type == EmitterType::agent);
    REQUIRE(participant(tracker, "agent-7").active);
    step = feed(tracker, Scripted("e3", "PARTICIPANT_ROLE_CHANGED", bot, "bot-1").at(5100).data(R"({"role":"ASSISTANT"})"));
    REQUIRE(step.derived.empty());
    REQUIRE(participant(tracker, "bot-1").role == ParticipantRole::assistant);
    REQUIRE(state_of(tracker) == "ACTIVE");

    step = feed(tracker, Scripted("a1", "AGENT_MESSAGE", agent, "agent-7").at(6000));
    REQUIRE(step.derived.empty());

    step = feed(tracker, Scripted("e4", "CUSTOMER_RESPONSE_TIMEOUT", sys, "sla").at(7000));
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "ACTIVE", "INACTIVE", "CUSTOMER_RESPONSE_TIMEOUT", 7000);
    REQUIRE(state_of(tracker) == "INACTIVE");

    step = feed(tracker, Scripted("m2", "CUSTOMER_MESSAGE", customer, "u1").at(8000));
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "INACTIVE", "ACTIVE", "CUSTOMER_MESSAGE", 8000);
    REQUIRE(state_of(tracker) == "ACTIVE");

    // The customer leaves; the agent is still subscribed.
    step = feed(tracker, Scripted("e5", "CHANNEL_SESSION_ENDED", connector, "web").at(9000));
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "ACTIVE", "WRAP_UP", "CHANNEL_SESSION_ENDED", 9000);
    REQUIRE(state_of(tracker) == "WRAP_UP");
    REQUIRE(session(tracker).state == ChannelSessionState::ended);
    REQUIRE_FALSE(tracker.next_expiry_ms());

    step = feed(tracker, Scripted("w1", "WRAPUP_APPLIED", agent, "agent-7").at(9500).data(R"({"categories":["ok"]})"));
    REQUIRE(step.derived.empty());
    REQUIRE(state_of(tracker) == "WRAP_UP");

    // Leaving a chat ends no session (chat is not interactive): only the state changes.
    step = feed(tracker, Scripted("e6", "AGENT_UNSUBSCRIBED", agent, "agent-7").at(10000));
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "WRAP_UP", "CLOSED", "AGENT_UNSUBSCRIBED", 10000);
    REQUIRE(state_of(tracker) == "CLOSED");
    REQUIRE_FALSE(participant(tracker, "agent-7").active);
    REQUIRE(participant(tracker, "bot-1").active);  // a bot never holds a conversation in WRAP_UP
}

TEST_CASE("the state function's edges: CREATED until a session opens, reopening, reused session ids",
          "[tracker][states]") {
    SessionTracker tracker;

    // An agent reserved and subscribed before any channel session: nothing to wrap up yet.
    Step step = feed(tracker, Scripted("e1", "AGENT_SUBSCRIBED", agent, "agent-1"));
    REQUIRE(step.derived.empty());
    REQUIRE(state_of(tracker) == "CREATED");
    step = feed(tracker, Scripted("e2", "CUSTOMER_RESPONSE_TIMEOUT", sys, "sla"));
    REQUIRE(step.derived.empty());
    REQUIRE(state_of(tracker) == "CREATED");  // INACTIVE only while a session is open
    step = feed(tracker, Scripted("e3", "AGENT_UNSUBSCRIBED", agent, "agent-1"));
    REQUIRE(step.derived.empty());
    REQUIRE(state_of(tracker) == "CREATED");

    step = feed(tracker, Scripted("e4", "CHANNEL_SESSION_STARTED", connector, "web").at(2000));
    REQUIRE(step.changes == std::vector<std::string>{"CREATED->ACTIVE"});
    step = feed(tracker, Scripted("e5", "CHANNEL_SESSION_STARTED", connector, "web").at(2100));
    REQUIRE(step.derived.empty());  // already open: a repeated start changes nothing
    REQUIRE(tracker.find("c1")->channel_sessions.size() == 1);
    REQUIRE(session(tracker).last_customer_activity_ms == 2000);

    step = feed(tracker, Scripted("e6", "CUSTOMER_RESPONSE_TIMEOUT", sys, "sla").at(3000));
    REQUIRE(step.changes == std::vector<std::string>{"ACTIVE->INACTIVE"});
    step = feed(tracker, Scripted("e7", "CHANNEL_SESSION_ENDED", connector, "web").at(4000));
    REQUIRE(step.changes == std::vector<std::string>{"INACTIVE->CLOSED"});

    // A closed conversation is reopened by a new channel session — and the earlier INACTIVE does not come back.
    step = feed(tracker, Scripted("e8", "CHANNEL_SESSION_STARTED", connector, "web").session("s2").at(5000));
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "CLOSED", "ACTIVE", "CHANNEL_SESSION_STARTED", 5000);
    REQUIRE(session(tracker, "s2").state == ChannelSessionState::started);
    REQUIRE(session(tracker, "s1").state == ChannelSessionState::ended);

    step = feed(tracker, Scripted("e9", "CHANNEL_SESSION_ENDED", connector, "web").session("s2").at(6000));
    REQUIRE(step.changes == std::vector<std::string>{"ACTIVE->CLOSED"});
    // Ending what is already ended, or what was never started, is not an error and changes nothing.
    step = feed(tracker, Scripted("e10", "CHANNEL_SESSION_ENDED", connector, "web").session("s2").at(6100));
    REQUIRE(step.derived.empty());
    step = feed(tracker, Scripted("e11", "CHANNEL_SESSION_EXPIRED", sys, "cimrt").session("nope").at(6200));
    REQUIRE(step.derived.empty());
    REQUIRE(tracker.find("c1")->channel_sessions.size() == 2);

    // A channel that reuses its session id when the customer returns reopens that session.
    step = feed(tracker, Scripted("e12", "CHANNEL_SESSION_STARTED", connector, "web").at(7000));
    REQUIRE(step.changes == std::vector<std::string>{"CLOSED->ACTIVE"});
    REQUIRE(session(tracker, "s1").state == ChannelSessionState::started);
    REQUIRE(session(tracker, "s1").last_customer_activity_ms == 7000);
    REQUIRE(tracker.find("c1")->channel_sessions.size() == 2);

    // Data updates carry payload for consumers; they change no tracked state.
    step = feed(tracker, Scripted("e13", "CHANNEL_SESSION_DATA_UPDATED", connector, "web").data(R"({"channel":"VOICE"})"));
    REQUIRE(step.derived.empty());
    REQUIRE_FALSE(session(tracker, "s1").interactive);
}

TEST_CASE("a chat expires on customer inactivity", "[tracker][expiry]") {
    // Never evicted, so the closed conversation stays to be looked at (eviction: its own tests below).
    SessionTracker tracker(TrackerOptions{std::chrono::minutes(10), std::chrono::milliseconds(-1)});
    constexpr std::int64_t ten_minutes = 600'000;

    REQUIRE_FALSE(tracker.next_expiry_ms());
    feed(tracker, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web").at(1000));
    REQUIRE(tracker.next_expiry_ms() == 1000 + ten_minutes);

    feed(tracker, Scripted("m1", "CUSTOMER_MESSAGE", customer, "u1").at(60'000));
    REQUIRE(tracker.next_expiry_ms() == 60'000 + ten_minutes);
    feed(tracker, Scripted("a1", "AGENT_MESSAGE", agent, "agent-1").at(120'000));
    REQUIRE(tracker.next_expiry_ms() == 60'000 + ten_minutes);  // only the customer keeps a session alive
    REQUIRE(state_of(tracker) == "ACTIVE");

    REQUIRE(tracker.expire_due(60'000 + ten_minutes - 1).empty());
    const std::vector<Event> due = tracker.expire_due(60'000 + ten_minutes);
    REQUIRE(due.size() == 1);
    require_session_event(due[0], "CHANNEL_SESSION_EXPIRED", "s1", "EXPIRED", false, 60'000 + ten_minutes);
    // expire_due only reports: the session stays open until the runtime publishes the expiry and it is applied.
    REQUIRE(session(tracker).state == ChannelSessionState::started);
    REQUIRE(state_of(tracker) == "ACTIVE");
    REQUIRE(tracker.expire_due(60'000 + ten_minutes).size() == 1);

    Event expiry = due[0];
    expiry.id = "x1";
    const Step step = feed(tracker, expiry);
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "ACTIVE", "CLOSED", "CHANNEL_SESSION_EXPIRED", 60'000 + ten_minutes);
    REQUIRE(session(tracker).state == ChannelSessionState::expired);
    REQUIRE(state_of(tracker) == "CLOSED");
    REQUIRE_FALSE(tracker.next_expiry_ms());
    REQUIRE(tracker.expire_due(60'000 + 2 * ten_minutes).empty());

    // A second expiry of the same session (a timer that raced) is no error and changes nothing.
    expiry.id = "x2";
    REQUIRE(feed(tracker, expiry).derived.empty());
    REQUIRE(session(tracker).state == ChannelSessionState::expired);
}

TEST_CASE("a late customer event does not rewind the inactivity clock, and has_seen changes nothing", "[tracker][expiry]") {
    SessionTracker tracker(TrackerOptions{std::chrono::minutes(10)});
    constexpr std::int64_t ten_minutes = 600'000;
    feed(tracker, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web").at(1000));
    feed(tracker, Scripted("m1", "CUSTOMER_MESSAGE", customer, "u1").at(300'000));
    feed(tracker, Scripted("m0", "CUSTOMER_MESSAGE", customer, "u1").at(2000));  // stamped earlier, arrives later
    REQUIRE(tracker.next_expiry_ms() == 300'000 + ten_minutes);

    Event seen = Scripted("m1", "CUSTOMER_MESSAGE", customer, "u1").at(400'000);
    Event fresh = Scripted("m9", "CUSTOMER_MESSAGE", customer, "u1").at(400'000);
    REQUIRE(tracker.has_seen(seen));
    REQUIRE_FALSE(tracker.has_seen(fresh));
    REQUIRE_FALSE(tracker.has_seen(fresh));  // asking twice still applies nothing
    REQUIRE(tracker.next_expiry_ms() == 300'000 + ten_minutes);
}

TEST_CASE("customer activity without a session id keeps every open chat session alive, calls never expire",
          "[tracker][expiry]") {
    SessionTracker tracker(TrackerOptions{std::chrono::seconds(60)});
    feed(tracker, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web").session("chat-1").at(1000));
    feed(tracker, Scripted("e2", "CHANNEL_SESSION_STARTED", connector, "sms").session("chat-2").at(2000));
    feed(tracker, Scripted("e3", "CHANNEL_SESSION_STARTED", connector, "pbx").session("call-1").at(3000)
                      .data(R"({"interactive":true})"));
    REQUIRE(session(tracker, "call-1").interactive);
    REQUIRE(tracker.next_expiry_ms() == 61'000);

    feed(tracker, Scripted("t1", "THIRD_PARTY_ACTIVITY", customer, "u1").session("").at(30'000));
    REQUIRE(session(tracker, "chat-1").last_customer_activity_ms == 30'000);
    REQUIRE(session(tracker, "chat-2").last_customer_activity_ms == 30'000);
    REQUIRE(tracker.next_expiry_ms() == 90'000);

    feed(tracker, Scripted("m1", "CUSTOMER_MESSAGE", customer, "u1").session("chat-2").at(50'000));
    REQUIRE(session(tracker, "chat-1").last_customer_activity_ms == 30'000);
    REQUIRE(session(tracker, "chat-2").last_customer_activity_ms == 50'000);

    const std::vector<Event> due = tracker.expire_due(1'000'000);
    REQUIRE(due.size() == 2);  // both chats, never the call
    for (const Event& e : due) REQUIRE(e.channel_session_id != "call-1");
}

TEST_CASE("a voice call with two legs, a hold and a resume ends when the agent leaves", "[tracker][call]") {
    SessionTracker tracker;

    Step step = feed(tracker, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "pbx").at(1000)
                                  .data(R"({"channel":"VOICE"})"));
    REQUIRE(step.changes == std::vector<std::string>{"CREATED->ACTIVE"});
    REQUIRE(session(tracker).interactive);
    REQUIRE_FALSE(tracker.next_expiry_ms());  // a call never expires on inactivity

    step = feed(tracker, Scripted("leg-ivr", "CALL_LEG_ENDED", app, "pbx").at(2000).data(R"({"leg":"IVR"})"));
    REQUIRE(step.derived.empty());
    REQUIRE(state_of(tracker) == "ACTIVE");  // a leg ending is an activity, not the end of the call
    step = feed(tracker, Scripted("e2", "AGENT_SUBSCRIBED", agent, "agent-1").at(2100));
    REQUIRE(step.derived.empty());
    REQUIRE(participant(tracker, "agent-1").role == ParticipantRole::primary);

    step = feed(tracker, Scripted("e3", "CALL_HOLD", agent, "agent-1").at(3000));
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "ACTIVE", "ON_HOLD", "CALL_HOLD", 3000);
    REQUIRE(session(tracker).on_hold);
    step = feed(tracker, Scripted("e4", "CUSTOMER_RESPONSE_TIMEOUT", sys, "sla").at(3500));
    REQUIRE(step.derived.empty());
    REQUIRE(state_of(tracker) == "ON_HOLD");  // a held call is on hold, whatever the customer does
    step = feed(tracker, Scripted("e5", "CALL_RESUME", agent, "agent-1").at(4000));
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "ON_HOLD", "INACTIVE", "CALL_RESUME", 4000);
    step = feed(tracker, Scripted("e6", "CUSTOMER_MESSAGE", customer, "u1").at(4500));
    REQUIRE(step.changes == std::vector<std::string>{"INACTIVE->ACTIVE"});

    step = feed(tracker, Scripted("leg-agent", "CALL_LEG_ENDED", app, "pbx").at(5000).data(R"({"leg":"agent-1"})"));
    REQUIRE(step.derived.empty());
    REQUIRE(state_of(tracker) == "ACTIVE");

    // The agent leaves: the call cannot outlive a participant, so the tracker derives its end.
    const Applied left = tracker.apply(Scripted("e7", "AGENT_UNSUBSCRIBED", agent, "agent-1").at(6000));
    REQUIRE(left.derived.size() == 1);
    require_session_event(left.derived[0], "CHANNEL_SESSION_ENDED", "s1", "ENDED", true, 6000);
    REQUIRE(state_of(tracker) == "ACTIVE");  // the derived event, once applied, is what ends the session
    REQUIRE(session(tracker).state == ChannelSessionState::started);

    Event ended = left.derived[0];
    ended.id = "call-end-1";
    step = feed(tracker, ended);
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "ACTIVE", "CLOSED", "CHANNEL_SESSION_ENDED", 6000);
    REQUIRE(session(tracker).state == ChannelSessionState::ended);
    REQUIRE(state_of(tracker) == "CLOSED");

    // Someone who is not in the conversation any more cannot leave it again.
    REQUIRE(feed(tracker, Scripted("e8", "AGENT_UNSUBSCRIBED", agent, "agent-1").at(7000)).derived.empty());
    REQUIRE(tracker.find("c1")->activity_ids.size() == 3);  // two legs and the customer's message
}

TEST_CASE("any participant leaving ends a call, held or not, calls are recognised by their payload", "[tracker][call]") {
    SessionTracker tracker;
    feed(tracker, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "pbx").data(R"({"channelType":"VOICE"})"));
    REQUIRE(session(tracker).interactive);
    feed(tracker, Scripted("e2", "AGENT_SUBSCRIBED", agent, "agent-1"));
    feed(tracker, Scripted("e3", "AGENT_SUBSCRIBED", agent, "agent-2").data(R"({"role":"ASSISTANT"})"));
    feed(tracker, Scripted("e4", "CALL_HOLD", agent, "agent-1"));
    REQUIRE(state_of(tracker) == "ON_HOLD");

    const Step step = feed(tracker, Scripted("e5", "AGENT_UNSUBSCRIBED", agent, "agent-2"));
    REQUIRE(step.derived.size() == 1);
    require_session_event(step.derived[0], "CHANNEL_SESSION_ENDED", "s1", "ENDED", true, 1000);
    // The call ended with agent-1 still subscribed: wrap-up.
    REQUIRE(step.changes == std::vector<std::string>{"ON_HOLD->WRAP_UP"});
    REQUIRE(state_of(tracker) == "WRAP_UP");

    for (const char* data : {R"({"channel":"WEB_CHAT"})", R"({"interactive":"yes"})", "[]", ""}) {
        SessionTracker other;
        feed(other, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web").data(data));
        INFO(data);
        REQUIRE_FALSE(session(other).interactive);
    }
}

TEST_CASE("participants: roles, re-subscription, bots", "[tracker][participants]") {
    SessionTracker tracker;
    feed(tracker, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web"));
    feed(tracker, Scripted("e2", "AGENT_SUBSCRIBED", agent, "sup-1").data(R"({"role":"SILENT_MONITOR"})"));
    REQUIRE(participant(tracker, "sup-1").role == ParticipantRole::silent_monitor);
    feed(tracker, Scripted("e3", "AGENT_SUBSCRIBED", agent, "agent-1").data(R"({"role":"CAPTAIN"})"));
    REQUIRE(participant(tracker, "agent-1").role == ParticipantRole::primary);  // unknown spelling: the default

    feed(tracker, Scripted("e4", "PARTICIPANT_ROLE_CHANGED", agent, "sup-1").data(R"({"role":"WHISPER"})"));
    REQUIRE(participant(tracker, "sup-1").role == ParticipantRole::whisper);
    feed(tracker, Scripted("e5", "PARTICIPANT_ROLE_CHANGED", agent, "nobody").data(R"({"role":"WHISPER"})"));
    REQUIRE(tracker.find("c1")->participants.size() == 2);  // a role change adds nobody

    feed(tracker, Scripted("e6", "AGENT_UNSUBSCRIBED", agent, "sup-1"));
    REQUIRE_FALSE(participant(tracker, "sup-1").active);
    feed(tracker, Scripted("e7", "AGENT_SUBSCRIBED", agent, "sup-1").data(R"({"role":"ASSISTANT"})"));
    REQUIRE(participant(tracker, "sup-1").active);
    REQUIRE(participant(tracker, "sup-1").role == ParticipantRole::assistant);
    REQUIRE(tracker.find("c1")->participants.size() == 2);

    feed(tracker, Scripted("e8", "BOT_SUGGESTION", bot, "bot-1"));
    feed(tracker, Scripted("e9", "BOT_MESSAGE", bot, "bot-1"));
    REQUIRE(tracker.find("c1")->participants.size() == 3);
    REQUIRE(participant(tracker, "bot-1").type == EmitterType::bot);

    const nlohmann::json json = conversation_state_json(*tracker.find("c1"));
    REQUIRE(json["participants"][0] ==
            nlohmann::json{{"id", "sup-1"}, {"type", "AGENT"}, {"role", "ASSISTANT"}, {"active", true}});
    REQUIRE(json["participants"][2]["type"] == "BOT");
}

TEST_CASE("updates attach to known activities, an unknown target is reported and kept", "[tracker][updates]") {
    SessionTracker tracker;
    feed(tracker, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web"));
    feed(tracker, Scripted("m1", "CUSTOMER_MESSAGE", customer, "u1"));
    feed(tracker, Scripted("t1", "THIRD_PARTY_ACTIVITY", app, "survey"));
    for (const char* name : {"ACTIVITY_REACTION", "ACTIVITY_MODIFIED", "MESSAGE_DELIVERY_NOTIFICATION"}) {
        INFO(name);
        REQUIRE(feed(tracker, Scripted(std::string("on-m1-") + name, name, agent, "agent-1").refers_to("m1"))
                    .warning.empty());
        REQUIRE(feed(tracker, Scripted(std::string("on-t1-") + name, name, agent, "agent-1").refers_to("t1"))
                    .warning.empty());
    }

    const Step unknown = feed(tracker, Scripted("r2", "ACTIVITY_REACTION", agent, "sup").refers_to("nope"));
    REQUIRE(unknown.warning == "ACTIVITY_REACTION r2 refers to unknown activity nope; kept");
    REQUIRE_FALSE(unknown.duplicate);
    // A notification is not an activity, and another conversation's activity is not this one's.
    REQUIRE(feed(tracker, Scripted("r3", "ACTIVITY_MODIFIED", agent, "sup").refers_to("e1")).warning ==
            "ACTIVITY_MODIFIED r3 refers to unknown activity e1; kept");
    feed(tracker, Scripted("m9", "CUSTOMER_MESSAGE", customer, "u1").conversation("c2"));
    REQUIRE(feed(tracker, Scripted("r4", "MESSAGE_DELIVERY_NOTIFICATION", agent, "a").refers_to("m9")).warning ==
            "MESSAGE_DELIVERY_NOTIFICATION r4 refers to unknown activity m9; kept");
    REQUIRE(state_of(tracker) == "ACTIVE");
}

TEST_CASE("the customer is the first one named, re-association moves the conversation", "[tracker][customer]") {
    SessionTracker tracker;
    feed(tracker, Scripted("e1", "AGENT_RESERVED", sys, "router").customer(""));
    REQUIRE(tracker.find("c1")->customer_id.empty());
    feed(tracker, Scripted("e2", "CHANNEL_SESSION_STARTED", connector, "web").customer("u1"));
    feed(tracker, Scripted("m1", "CUSTOMER_MESSAGE", customer, "u1").customer("u1"));
    feed(tracker, Scripted("e3", "CONVERSATION_DATA_CHANGED", app, "crm").customer("someone-else"));
    REQUIRE(tracker.find("c1")->customer_id == "u1");  // only ASSOCIATED_CUSTOMER_CHANGED moves it

    Step step = feed(tracker, Scripted("e4", "ASSOCIATED_CUSTOMER_CHANGED", agent, "agent-1").customer("u2"));
    REQUIRE(step.derived.empty());
    REQUIRE(tracker.find("c1")->customer_id == "u2");
    step = feed(tracker, Scripted("e5", "CHANNEL_SESSION_ENDED", connector, "web").customer("u1").at(9000));
    REQUIRE(step.derived.size() == 1);
    require_state_changed(step.derived[0], "ACTIVE", "CLOSED", "CHANNEL_SESSION_ENDED", 9000, "u2");
}

TEST_CASE("a repeated event id is a duplicate: ignored, never applied twice", "[tracker][duplicates]") {
    SessionTracker tracker(TrackerOptions{std::chrono::minutes(10)});
    const Event start = Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "pbx").data(R"({"channel":"VOICE"})");
    REQUIRE_FALSE(feed(tracker, start).duplicate);
    const Step again = feed(tracker, start);
    REQUIRE(again.duplicate);
    REQUIRE(again.derived.empty());
    REQUIRE(tracker.find("c1")->channel_sessions.size() == 1);

    feed(tracker, Scripted("e2", "AGENT_SUBSCRIBED", agent, "agent-1"));
    feed(tracker, Scripted("e3", "AGENT_SUBSCRIBED", agent, "agent-2"));
    const Event leave = Scripted("e4", "AGENT_UNSUBSCRIBED", agent, "agent-1");
    const Step left = feed(tracker, leave);
    REQUIRE(left.derived.size() == 1);  // the call's end
    REQUIRE(left.changes == std::vector<std::string>{"ACTIVE->WRAP_UP"});
    REQUIRE(state_of(tracker) == "WRAP_UP");
    const nlohmann::json before = conversation_state_json(*tracker.find("c1"));

    // The same departure again: no second end of the call, no state change, nothing at all.
    const Step repeated = feed(tracker, leave);
    REQUIRE(repeated.duplicate);
    REQUIRE(repeated.derived.empty());
    REQUIRE(conversation_state_json(*tracker.find("c1")) == before);

    // A repeated id is a duplicate whatever else the event says.
    const Step reused = feed(tracker, Scripted("e1", "CUSTOMER_MESSAGE", customer, "u1").at(99'000));
    REQUIRE(reused.duplicate);
    REQUIRE(conversation_state_json(*tracker.find("c1")) == before);

    // Events outside any conversation are deduplicated too.
    const Event note = Scripted("n1", "THIRD_PARTY_ACTIVITY", app, "crm").conversation("").session("");
    REQUIRE_FALSE(feed(tracker, note).duplicate);
    REQUIRE(feed(tracker, note).duplicate);
    REQUIRE(tracker.conversation_count() == 1);

    // Duplicates are recognised per conversation, the unit of partitioning.
    REQUIRE_FALSE(feed(tracker, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web").conversation("c2")).duplicate);
}

TEST_CASE("TOPIC_STATE_CHANGED as input changes nothing: the state is re-derived from the facts",
          "[tracker][states]") {
    SessionTracker tracker;
    feed(tracker, Scripted("e1", "CHANNEL_SESSION_STARTED", connector, "web"));
    const nlohmann::json before = conversation_state_json(*tracker.find("c1"));
    const Step step = feed(tracker, Scripted("e2", "TOPIC_STATE_CHANGED", app, "liar").customer("u9")
                                        .data(R"({"from":"ACTIVE","to":"CLOSED","reason":"CHANNEL_SESSION_ENDED"})"));
    REQUIRE_FALSE(step.duplicate);
    REQUIRE(step.derived.empty());
    REQUIRE(conversation_state_json(*tracker.find("c1")) == before);
    REQUIRE(state_of(tracker) == "ACTIVE");
}

TEST_CASE("an idle tracked conversation costs under 1 KiB", "[tracker][memory]") {
    // Realistic ids (UUID-sized), so none fits in the small-string buffer and every string costs heap.
    const std::string conversation_id = "5f0c8a52-3b1e-4c1e-9a57-0d6f2a7e9c11";
    const std::string customer_id = "8d2b7e40-91c3-4f0a-b6d2-5e1f3c9a7b04";
    const std::string session_id = "c3a91f6e-2d4b-4e8a-8f17-6b0e5d2c4a93";
    SessionTracker tracker;
    feed(tracker, Scripted("2b1d6c0e-4f3a-4a9e-bc15-7e8d9f0a1b2c", "CHANNEL_SESSION_STARTED", connector, "web")
                      .conversation(conversation_id).customer(customer_id).session(session_id));
    feed(tracker, Scripted("9e7f5a3c-1b2d-4c6e-8f0a-3d5b7c9e1f24", "CUSTOMER_MESSAGE", customer, customer_id)
                      .conversation(conversation_id).customer(customer_id).session(session_id)
                      .data(R"({"body":{"type":"PLAIN","markdownText":"hello"}})"));
    const Conversation& c = *tracker.find(conversation_id);
    REQUIRE(c.state == ConversationState::active);

    // Heap bytes of a string: its buffer unless the characters live inside the object (small-string optimisation).
    auto heap = [](const std::string& s) -> std::size_t {
        const auto object = reinterpret_cast<std::uintptr_t>(&s);
        const auto chars = reinterpret_cast<std::uintptr_t>(s.data());
        const bool inline_buffer = chars >= object && chars < object + sizeof(std::string);
        return inline_buffer ? 0 : s.capacity() + 1;
    };
    constexpr std::size_t malloc_overhead = 16;  // glibc: a size word, rounded to 16-byte chunks
    auto block = [&](std::size_t bytes) { return bytes == 0 ? 0 : bytes + malloc_overhead; };

    // The unordered_map node: next pointer, the key, the value, the cached hash; plus its bucket pointer.
    std::size_t bytes = block(sizeof(void*) + sizeof(std::string) + sizeof(Conversation) + sizeof(std::size_t));
    bytes += sizeof(void*);
    bytes += block(heap(c.id)) + block(heap(c.id));  // the key is a second copy of the id
    bytes += block(heap(c.customer_id));
    bytes += block(c.channel_sessions.capacity() * sizeof(ChannelSession));
    for (const ChannelSession& s : c.channel_sessions) bytes += block(heap(s.id));
    bytes += block(c.participants.capacity() * sizeof(Participant));
    for (const Participant& p : c.participants) bytes += block(heap(p.id));
    bytes += block(c.seen_event_ids.capacity() * sizeof(std::uint64_t));
    bytes += block(c.activity_ids.capacity() * sizeof(std::uint64_t));
    INFO("sizeof(Conversation) " << sizeof(Conversation) << ", sizeof(ChannelSession) " << sizeof(ChannelSession)
                                 << ", estimate " << bytes << " bytes");
    REQUIRE(c.seen_event_ids.size() == 3);  // the start, the message, and the derived CREATED->ACTIVE
    REQUIRE(c.activity_ids.size() == 1);
    REQUIRE(bytes < 1024);
}
