// Events for scripted conversations, built the way ingest builds them, and fed to a tracker the way the runtime feeds
// it — so the unit tests exercise the tracker on exactly what it meets in the event path, without a runtime.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "event/catalogue.hpp"
#include "event/event_validation.hpp"
#include "sessions/session_tracker.hpp"

namespace cim::core::test {

/// One event of conversation "c1", channel session "s1", customer "u1" at t = 1000 ms unless told otherwise.
/// Converting it to Event validates it against the built-in catalogue (which also fills its type), so a test cannot
/// feed the tracker an event the runtime would have refused.
class Scripted {
public:
    Scripted(std::string id, std::string name, EmitterType emitter_type, std::string emitter_id) {
        event_.id = std::move(id);
        event_.name = std::move(name);
        event_.timestamp_ms = 1000;
        event_.conversation_id = "c1";
        event_.channel_session_id = "s1";
        event_.customer_id = "u1";
        event_.emitter = {std::move(emitter_id), emitter_type, ""};
    }
    Scripted& at(std::int64_t timestamp_ms) { event_.timestamp_ms = timestamp_ms; return *this; }
    Scripted& conversation(std::string id) { event_.conversation_id = std::move(id); return *this; }
    Scripted& session(std::string id) { event_.channel_session_id = std::move(id); return *this; }
    Scripted& customer(std::string id) { event_.customer_id = std::move(id); return *this; }
    Scripted& refers_to(std::string id) { event_.refers_to = std::move(id); return *this; }
    Scripted& data(std::string json) { event_.data = std::move(json); return *this; }
    Scripted& emitter_name(std::string name) { event_.emitter.name = std::move(name); return *this; }

    operator Event() const {  // implicit on purpose: a script reads better without casts
        static const Catalogue catalogue;
        Event e = event_;
        validate_event(e, catalogue);
        return e;
    }

private:
    Event event_;
};

/// What one accepted event did, as the runtime sees it.
struct Step {
    bool duplicate = false;
    std::string warning;
    std::vector<Event> derived;        ///< as the tracker returned them (id empty)
    std::vector<std::string> changes;  ///< every TOPIC_STATE_CHANGED of the step, derived ones included: "FROM->TO"
    std::vector<Event> journaled;      ///< what the runtime journals: the event, then everything derived, stamped
};

/// Does with `event` what the runtime's session stage does: apply it, then stamp ("stamped-1", "stamped-2", ...),
/// validate and apply every event the tracker derived, in order, including what those derive in turn.
inline Step feed(SessionTracker& tracker, const Event& event) {
    static const Catalogue catalogue;
    static int stamped = 0;
    Step step;
    const Applied applied = tracker.apply(event);
    step.duplicate = applied.duplicate;
    step.warning = applied.warning;
    step.derived = applied.derived;
    if (!applied.duplicate) step.journaled.push_back(event);
    std::vector<Event> pending = applied.derived;
    for (std::size_t i = 0; i < pending.size(); ++i) {
        Event next = pending[i];
        if (next.name == "TOPIC_STATE_CHANGED") {
            const auto data = nlohmann::json::parse(next.data);
            step.changes.push_back(data.at("from").get<std::string>() + "->" + data.at("to").get<std::string>());
        }
        next.id = "stamped-" + std::to_string(++stamped);  // never one of a script's ids
        validate_event(next, catalogue);  // a derived event must be one the runtime accepts
        const Applied again = tracker.apply(next);
        REQUIRE_FALSE(again.duplicate);
        step.journaled.push_back(next);
        pending.insert(pending.end(), again.derived.begin(), again.derived.end());
    }
    return step;
}

/// The system emitter of everything the tracker derives.
inline Emitter tracker_emitter() { return {"cimrt", EmitterType::system, "session-tracker"}; }

/// Checks every header field of a derived TOPIC_STATE_CHANGED.
inline void require_state_changed(const Event& e, const std::string& from, const std::string& to,
                                  const std::string& reason, std::int64_t timestamp_ms,
                                  const std::string& customer_id = "u1") {
    INFO(e.name << " " << e.data);
    REQUIRE(e.name == "TOPIC_STATE_CHANGED");
    REQUIRE(e.type == EventType::notification);
    REQUIRE(e.id.empty());  // the runtime stamps it
    REQUIRE(e.timestamp_ms == timestamp_ms);
    REQUIRE(e.conversation_id == "c1");
    REQUIRE(e.channel_session_id.empty());
    REQUIRE(e.customer_id == customer_id);
    REQUIRE(e.emitter == tracker_emitter());
    REQUIRE(e.refers_to.empty());
    REQUIRE(nlohmann::json::parse(e.data) == nlohmann::json{{"from", from}, {"to", to}, {"reason", reason}});
}

/// Checks every header field of a derived CHANNEL_SESSION_ENDED / CHANNEL_SESSION_EXPIRED.
inline void require_session_event(const Event& e, const std::string& name, const std::string& session_id,
                                  const std::string& state, bool interactive, std::int64_t timestamp_ms) {
    INFO(e.name << " " << e.data);
    REQUIRE(e.name == name);
    REQUIRE(e.type == EventType::notification);
    REQUIRE(e.id.empty());
    REQUIRE(e.timestamp_ms == timestamp_ms);
    REQUIRE(e.conversation_id == "c1");
    REQUIRE(e.channel_session_id == session_id);
    REQUIRE(e.customer_id == "u1");
    REQUIRE(e.emitter == tracker_emitter());
    REQUIRE(nlohmann::json::parse(e.data) ==
            nlohmann::json{{"id", session_id}, {"state", state}, {"interactive", interactive}});
}

}  // namespace cim::core::test
