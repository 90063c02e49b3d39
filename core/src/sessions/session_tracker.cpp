#include "sessions/session_tracker.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace cim::core {
namespace {

// Sorted vectors of hashes: 8 bytes an id, which is what keeps an idle conversation small (DESIGN §6).
bool contains(const std::vector<std::uint64_t>& sorted, std::uint64_t value) {
    return std::binary_search(sorted.begin(), sorted.end(), value);
}
void insert(std::vector<std::uint64_t>& sorted, std::uint64_t value) {
    sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), value), value);
}

// Only a few rare events carry state in their payload (session kind, participant role); parsing is confined to them.
nlohmann::json payload(const Event& event) {
    if (event.data.empty()) return nullptr;
    nlohmann::json data = nlohmann::json::parse(event.data, nullptr, false);
    return data.is_discarded() ? nlohmann::json() : data;
}

bool is_interactive(const nlohmann::json& data) {
    if (!data.is_object()) return false;
    if (data.value("interactive", false)) return true;
    for (const char* key : {"channel", "channelType"}) {
        if (data.contains(key) && data[key].is_string() && data[key].get<std::string>() == "VOICE") return true;
    }
    return false;
}

ParticipantRole role_in(const nlohmann::json& data, ParticipantRole fallback) {
    ParticipantRole role = fallback;
    if (data.is_object() && data.contains("role") && data["role"].is_string()) {
        parse_participant_role(data["role"].get<std::string>(), role);
    }
    return role;
}

Emitter system_emitter() { return {"cimrt", EmitterType::system, "session-tracker"}; }

// A session event the runtime emits itself (a call ended by a departure, an expiry), carrying the session as it is
// after the event.
Event session_event(const char* name, const Conversation& c, const ChannelSession& s, ChannelSessionState after,
                    std::int64_t timestamp_ms) {
    Event e;
    e.name = name;
    e.timestamp_ms = timestamp_ms;
    e.conversation_id = c.id;
    e.channel_session_id = s.id;
    e.customer_id = c.customer_id;
    e.emitter = system_emitter();
    e.data = nlohmann::json{{"id", s.id}, {"state", to_string(after)}, {"interactive", s.interactive}}.dump();
    return e;
}

ConversationState state_of(Conversation& c) {
    if (c.has_open_session()) {
        c.ever_active = true;
        const bool held = std::any_of(c.channel_sessions.begin(), c.channel_sessions.end(), [](const ChannelSession& s) {
            return s.state == ChannelSessionState::started && s.on_hold;
        });
        if (held) return ConversationState::on_hold;
        return c.customer_unresponsive ? ConversationState::inactive : ConversationState::active;
    }
    if (!c.ever_active) return ConversationState::created;
    return c.has_active_agent() ? ConversationState::wrap_up : ConversationState::closed;
}

}  // namespace

SessionTracker::SessionTracker(TrackerOptions options) : options_(options) {}

Applied SessionTracker::apply(const Event& event) {
    Applied out;
    const std::uint64_t id_hash = event_id_hash(event.id);
    if (event.conversation_id.empty()) {
        if (contains(seen_without_conversation_, id_hash)) {
            out.duplicate = true;
        } else {
            insert(seen_without_conversation_, id_hash);
        }
        return out;
    }

    auto [it, created] = conversations_.try_emplace(event.conversation_id);
    Conversation& c = it->second;
    if (created) c.id = event.conversation_id;
    if (contains(c.seen_event_ids, id_hash)) {
        out.duplicate = true;
        return out;
    }
    insert(c.seen_event_ids, id_hash);
    if (c.customer_id.empty()) c.customer_id = event.customer_id;
    const ConversationState before = c.state;
    const std::string_view name = event.name;

    if (name == "CHANNEL_SESSION_STARTED") {
        if (c.find_session(event.channel_session_id) == nullptr) {
            ChannelSession session;
            session.id = event.channel_session_id;
            session.interactive = is_interactive(payload(event));
            session.last_customer_activity_ms = event.timestamp_ms;
            c.channel_sessions.push_back(std::move(session));
        }
    } else if (name == "CHANNEL_SESSION_ENDED" || name == "CHANNEL_SESSION_EXPIRED") {
        ChannelSession* s = c.find_session(event.channel_session_id);
        if (s != nullptr && s->state == ChannelSessionState::started) {
            s->state = name == "CHANNEL_SESSION_ENDED" ? ChannelSessionState::ended : ChannelSessionState::expired;
        }
    } else if (name == "CALL_HOLD" || name == "CALL_RESUME") {
        if (ChannelSession* s = c.find_session(event.channel_session_id)) s->on_hold = name == "CALL_HOLD";
    } else if (name == "AGENT_SUBSCRIBED") {
        const ParticipantRole role = role_in(payload(event), ParticipantRole::primary);
        if (Participant* p = c.find_participant(event.emitter.id)) {
            p->active = true;
            p->role = role;
        } else {
            c.participants.push_back({event.emitter.id, EmitterType::agent, role, true});
        }
    } else if (name == "AGENT_UNSUBSCRIBED") {
        if (Participant* p = c.find_participant(event.emitter.id)) p->active = false;
        // A call cannot outlive a participant: every open interactive session ends with this departure.
        for (const ChannelSession& s : c.channel_sessions) {
            if (s.state != ChannelSessionState::started || !s.interactive) continue;
            out.derived.push_back(
                session_event("CHANNEL_SESSION_ENDED", c, s, ChannelSessionState::ended, event.timestamp_ms));
        }
    } else if (name == "PARTICIPANT_ROLE_CHANGED") {
        if (Participant* p = c.find_participant(event.emitter.id)) p->role = role_in(payload(event), p->role);
    } else if (name == "ASSOCIATED_CUSTOMER_CHANGED") {
        c.customer_id = event.customer_id;
    } else if (name == "CUSTOMER_RESPONSE_TIMEOUT") {
        c.customer_unresponsive = true;
    } else if (is_activity_update(name)) {
        if (!contains(c.activity_ids, event_id_hash(event.refers_to))) {
            out.warning = event.name + " " + event.id + " refers to unknown activity " + event.refers_to + "; kept";
        }
    }

    if (event.type == EventType::activity || name == "THIRD_PARTY_ACTIVITY") insert(c.activity_ids, id_hash);
    if (event.emitter.type == EmitterType::bot && (name == "BOT_MESSAGE" || name == "BOT_SUGGESTION") &&
        c.find_participant(event.emitter.id) == nullptr) {
        c.participants.push_back({event.emitter.id, EmitterType::bot, ParticipantRole::primary, true});
    }
    if (event.emitter.type == EmitterType::customer || name == "CUSTOMER_MESSAGE") {
        c.customer_unresponsive = false;
        for (ChannelSession& s : c.channel_sessions) {
            const bool this_session = event.channel_session_id.empty() || s.id == event.channel_session_id;
            if (this_session && s.state == ChannelSessionState::started) s.last_customer_activity_ms = event.timestamp_ms;
        }
    }

    c.state = state_of(c);
    if (c.state != before) {
        Event changed;
        changed.name = "TOPIC_STATE_CHANGED";
        changed.timestamp_ms = event.timestamp_ms;
        changed.conversation_id = c.id;
        changed.customer_id = c.customer_id;
        changed.emitter = system_emitter();
        changed.data = nlohmann::json{{"from", to_string(before)}, {"to", to_string(c.state)}, {"reason", event.name}}.dump();
        out.derived.push_back(std::move(changed));
    }
    return out;
}

std::vector<Event> SessionTracker::expire_due(std::int64_t now_ms) const {
    std::vector<Event> expired;
    const std::int64_t timeout = options_.customer_inactivity_timeout.count();
    for (const auto& [id, c] : conversations_) {
        for (const ChannelSession& s : c.channel_sessions) {
            if (s.state != ChannelSessionState::started || s.interactive) continue;
            if (s.last_customer_activity_ms + timeout > now_ms) continue;
            expired.push_back(session_event("CHANNEL_SESSION_EXPIRED", c, s, ChannelSessionState::expired, now_ms));
        }
    }
    return expired;
}

std::optional<std::int64_t> SessionTracker::next_expiry_ms() const {
    std::optional<std::int64_t> earliest;
    for (const auto& [id, c] : conversations_) {
        for (const ChannelSession& s : c.channel_sessions) {
            if (s.state != ChannelSessionState::started || s.interactive) continue;
            const std::int64_t deadline = s.last_customer_activity_ms + options_.customer_inactivity_timeout.count();
            if (!earliest || deadline < *earliest) earliest = deadline;
        }
    }
    return earliest;
}

const Conversation* SessionTracker::find(std::string_view conversation_id) const {
    const auto it = conversations_.find(std::string(conversation_id));
    return it == conversations_.end() ? nullptr : &it->second;
}

void SessionTracker::for_each(const std::function<void(const Conversation&)>& visit) const {
    for (const auto& [id, c] : conversations_) visit(c);
}

}  // namespace cim::core
