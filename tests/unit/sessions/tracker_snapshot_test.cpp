// SessionTracker::snapshot / restore_snapshot: a snapshot plus the events after it gives the state a replay of
// everything gives; a damaged body is refused.
#include "sessions/session_tracker.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sessions/conversation_json.hpp"
#include "scripted_events.hpp"

using namespace cim::core;
using cim::core::test::Scripted;

namespace {

// A few conversations in every state: chats, a call with a hold, participants, an unresolved update, a note.
std::vector<Event> script() {
    std::vector<Event> out;
    for (int i = 0; i < 6; ++i) {
        const std::string c = "c" + std::to_string(i);
        const std::string s = "s" + std::to_string(i);
        const auto e = [&](const std::string& id, const char* name, EmitterType type, const std::string& emitter) {
            return Scripted(c + "-" + id, name, type, emitter).conversation(c).session(s).at(1000 * i + 10);
        };
        out.push_back(e("start", "CHANNEL_SESSION_STARTED", EmitterType::connector, "web")
                          .data(i % 3 == 0 ? R"({"channel":"VOICE"})" : R"({"channel":"WEB_CHAT"})"));
        out.push_back(e("m1", "CUSTOMER_MESSAGE", EmitterType::customer, "u" + std::to_string(i)));
        out.push_back(e("sub", "AGENT_SUBSCRIBED", EmitterType::agent, "agent-1").data(R"({"role":"ASSISTANT"})"));
        out.push_back(e("r1", "ACTIVITY_REACTION", EmitterType::agent, "agent-1").refers_to(c + "-m1"));
        out.push_back(e("r2", "ACTIVITY_REACTION", EmitterType::agent, "agent-1").refers_to("nowhere"));
        if (i % 3 == 0) out.push_back(e("hold", "CALL_HOLD", EmitterType::agent, "agent-1"));
        if (i % 2 == 0) out.push_back(e("unsub", "AGENT_UNSUBSCRIBED", EmitterType::agent, "agent-1"));
        if (i % 4 == 1) out.push_back(e("end", "CHANNEL_SESSION_ENDED", EmitterType::connector, "web"));
    }
    Event note = Scripted("note-1", "THIRD_PARTY_ACTIVITY", EmitterType::app, "crm").conversation("").session("");
    out.push_back(note);
    return out;
}

// Feeds like the runtime: each event, then what it derived, stamped with the cause's id plus a counter — so two
// trackers fed the same events hold the same ids.
void apply_all(SessionTracker& tracker, const std::vector<Event>& events, std::size_t from, std::size_t to) {
    static const Catalogue catalogue;
    for (std::size_t i = from; i < to; ++i) {
        std::vector<Event> pending = tracker.apply(events[i]).derived;
        for (std::size_t n = 0; n < pending.size(); ++n) {
            Event next = pending[n];
            next.id = events[i].id + "+" + std::to_string(n + 1);
            validate_event(next, catalogue);
            const Applied again = tracker.apply(next);
            pending.insert(pending.end(), again.derived.begin(), again.derived.end());
        }
    }
}

void require_same(SessionTracker& a, SessionTracker& b) {
    REQUIRE(a.conversation_count() == b.conversation_count());
    a.for_each([&](const Conversation& c) {
        const Conversation* other = b.find(c.id);
        REQUIRE(other != nullptr);
        REQUIRE(conversation_state_json(c) == conversation_state_json(*other));
        REQUIRE(c.seen_event_ids == other->seen_event_ids);
        REQUIRE(c.activity_ids == other->activity_ids);
    });
    REQUIRE(a.next_expiry_ms() == b.next_expiry_ms());
}

}  // namespace

TEST_CASE("a snapshot plus the events after it restores what a replay of everything restores", "[snapshot]") {
    const std::vector<Event> events = script();
    for (std::size_t cut : {std::size_t{0}, events.size() / 3, events.size() / 2, events.size()}) {
        SessionTracker full;
        apply_all(full, events, 0, events.size());

        SessionTracker before;
        apply_all(before, events, 0, cut);
        SessionTracker restored;
        restored.restore_snapshot(before.snapshot());
        apply_all(restored, events, cut, events.size());
        INFO("snapshot after " << cut << " of " << events.size() << " events");
        require_same(full, restored);
        // Duplicates are recognised across the snapshot, with and without a conversation.
        for (const Event& e : events) REQUIRE(restored.has_seen(e));
    }
}

TEST_CASE("a snapshot keeps the evicted conversations and the grace deadlines", "[snapshot][eviction]") {
    const TrackerOptions options{std::chrono::seconds(100), std::chrono::seconds(60)};
    SessionTracker tracker(options);
    feed(tracker, Scripted("a", "CHANNEL_SESSION_STARTED", EmitterType::connector, "web").conversation("gone").at(0));
    feed(tracker, Scripted("b", "CHANNEL_SESSION_ENDED", EmitterType::connector, "web").conversation("gone").at(0));
    feed(tracker, Scripted("c", "CHANNEL_SESSION_STARTED", EmitterType::connector, "web").conversation("closing").at(0));
    REQUIRE(tracker.take_due(60'000).evicted == std::vector<std::string>{"gone"});
    feed(tracker, Scripted("d", "CHANNEL_SESSION_ENDED", EmitterType::connector, "web").conversation("closing").at(70'000));

    SessionTracker restored(options);
    restored.restore_snapshot(tracker.snapshot());
    REQUIRE(restored.was_evicted("gone"));
    REQUIRE(restored.find("closing") != nullptr);
    REQUIRE(restored.next_expiry_ms() == 130'000);
    REQUIRE(restored.take_due(130'000).evicted == std::vector<std::string>{"closing"});
}

TEST_CASE("a damaged or truncated snapshot is refused", "[snapshot]") {
    SessionTracker tracker;
    apply_all(tracker, script(), 0, script().size());
    const std::string body = tracker.snapshot();

    std::string flipped = body;
    flipped[body.size() / 2] ^= 0x20;
    SessionTracker a;
    REQUIRE_THROWS_AS(a.restore_snapshot(flipped), SnapshotError);
    SessionTracker b;
    REQUIRE_THROWS_AS(b.restore_snapshot(body.substr(0, body.size() - 9)), SnapshotError);
    SessionTracker c;
    REQUIRE_THROWS_AS(c.restore_snapshot(""), SnapshotError);
    SessionTracker d;
    REQUIRE_THROWS_AS(d.restore_snapshot("not a snapshot at all, just text"), SnapshotError);
}
