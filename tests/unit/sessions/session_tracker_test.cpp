#include "sessions/session_tracker.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace cim::core;

namespace {

Event make(std::string id, std::string name, EventType type, EmitterType emitter, std::string data = {}) {
    Event e;
    e.id = std::move(id);
    e.name = std::move(name);
    e.type = type;
    e.timestamp_ms = 1000;
    e.conversation_id = "c1";
    e.channel_session_id = "s1";
    e.customer_id = "u1";
    e.emitter = {emitter == EmitterType::customer ? "u1" : "agent-1", emitter, ""};
    e.data = std::move(data);
    return e;
}

std::string transition(const Applied& applied) {
    for (const Event& d : applied.derived) {
        if (d.name == "TOPIC_STATE_CHANGED") {
            const auto data = nlohmann::json::parse(d.data);
            return data["from"].get<std::string>() + "->" + data["to"].get<std::string>();
        }
    }
    return "";
}

}  // namespace

TEST_CASE("state changes are derived as TOPIC_STATE_CHANGED from the system", "[tracker]") {
    SessionTracker tracker;
    const Applied started = tracker.apply(make("e1", "CHANNEL_SESSION_STARTED", EventType::notification, EmitterType::connector));
    REQUIRE(transition(started) == "CREATED->ACTIVE");
    REQUIRE(started.derived.at(0).emitter.type == EmitterType::system);
    REQUIRE(started.derived.at(0).timestamp_ms == 1000);
    REQUIRE(started.derived.at(0).id.empty());  // the runtime stamps it
    REQUIRE(transition(tracker.apply(make("e2", "AGENT_SUBSCRIBED", EventType::notification, EmitterType::agent))).empty());
    REQUIRE(transition(tracker.apply(make("e3", "CUSTOMER_RESPONSE_TIMEOUT", EventType::notification, EmitterType::system))) ==
            "ACTIVE->INACTIVE");
    REQUIRE(transition(tracker.apply(make("e4", "CUSTOMER_MESSAGE", EventType::activity, EmitterType::customer))) ==
            "INACTIVE->ACTIVE");
    REQUIRE(transition(tracker.apply(make("e5", "CHANNEL_SESSION_ENDED", EventType::notification, EmitterType::connector))) ==
            "ACTIVE->WRAP_UP");
    REQUIRE(transition(tracker.apply(make("e6", "AGENT_UNSUBSCRIBED", EventType::notification, EmitterType::agent))) ==
            "WRAP_UP->CLOSED");
    // A new session reopens a closed conversation.
    Event again = make("e7", "CHANNEL_SESSION_STARTED", EventType::notification, EmitterType::connector);
    again.channel_session_id = "s2";
    REQUIRE(transition(tracker.apply(again)) == "CLOSED->ACTIVE");
}

TEST_CASE("duplicates are recognised and never applied twice", "[tracker]") {
    SessionTracker tracker;
    REQUIRE_FALSE(tracker.apply(make("e1", "CHANNEL_SESSION_STARTED", EventType::notification, EmitterType::connector)).duplicate);
    const Applied again = tracker.apply(make("e1", "CHANNEL_SESSION_STARTED", EventType::notification, EmitterType::connector));
    REQUIRE(again.duplicate);
    REQUIRE(again.derived.empty());
    Event note = make("n1", "THIRD_PARTY_ACTIVITY", EventType::notification, EmitterType::app);
    note.conversation_id.clear();  // a note on no conversation is still deduplicated
    REQUIRE_FALSE(tracker.apply(note).duplicate);
    REQUIRE(tracker.apply(note).duplicate);
}

TEST_CASE("inactivity deadlines follow the customer's last activity", "[tracker]") {
    SessionTracker tracker(TrackerOptions{std::chrono::minutes(10)});
    tracker.apply(make("e1", "CHANNEL_SESSION_STARTED", EventType::notification, EmitterType::connector));
    REQUIRE(tracker.next_expiry_ms() == 1000 + 600'000);
    Event later = make("e2", "CUSTOMER_MESSAGE", EventType::activity, EmitterType::customer);
    later.timestamp_ms = 5000;
    tracker.apply(later);
    REQUIRE(tracker.next_expiry_ms() == 5000 + 600'000);
    REQUIRE(tracker.expire_due(5000 + 599'999).empty());
    const auto expired = tracker.expire_due(5000 + 600'000);
    REQUIRE(expired.size() == 1);
    REQUIRE(expired[0].name == "CHANNEL_SESSION_EXPIRED");
    REQUIRE(nlohmann::json::parse(expired[0].data)["state"] == "EXPIRED");
    tracker.apply([&] { Event e = expired[0]; e.id = "x1"; return e; }());
    REQUIRE_FALSE(tracker.next_expiry_ms());
    REQUIRE(tracker.find("c1")->state == ConversationState::closed);
}

TEST_CASE("an update naming an unknown activity is reported and kept", "[tracker]") {
    SessionTracker tracker;
    tracker.apply(make("m1", "CUSTOMER_MESSAGE", EventType::activity, EmitterType::customer));
    Event known = make("r1", "ACTIVITY_REACTION", EventType::notification, EmitterType::agent);
    known.refers_to = "m1";
    REQUIRE(tracker.apply(known).warning.empty());
    Event unknown = make("r2", "ACTIVITY_REACTION", EventType::notification, EmitterType::agent);
    unknown.refers_to = "nope";
    REQUIRE(tracker.apply(unknown).warning == "ACTIVITY_REACTION r2 refers to unknown activity nope; kept");
}

TEST_CASE("an idle tracked conversation costs well under 1 KiB", "[tracker][memory]") {
    SessionTracker tracker;
    tracker.apply(make("evt-0001", "CHANNEL_SESSION_STARTED", EventType::notification, EmitterType::connector));
    tracker.apply(make("evt-0002", "CUSTOMER_MESSAGE", EventType::activity, EmitterType::customer));
    const Conversation& c = *tracker.find("c1");
    auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };  // beyond SSO
    std::size_t bytes = sizeof(Conversation) + heap(c.id) + heap(c.customer_id);
    bytes += c.channel_sessions.capacity() * sizeof(ChannelSession) + c.participants.capacity() * sizeof(Participant);
    for (const auto& s : c.channel_sessions) bytes += heap(s.id);
    bytes += (c.seen_event_ids.capacity() + c.activity_ids.capacity()) * sizeof(std::uint64_t);
    bytes += c.id.size() + 64;  // the map node and its key
    INFO(bytes << " bytes");
    REQUIRE(bytes < 1024);
}
