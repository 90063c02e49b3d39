#include "sessions/session_tracker.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "sessions/conversation_json.hpp"

namespace cim::core {
namespace {

// Sorted vectors of hashes: 8 bytes an id, which is what keeps an idle conversation small (DESIGN §6).
bool contains(const std::vector<std::uint64_t>& sorted, std::uint64_t value) {
    return std::binary_search(sorted.begin(), sorted.end(), value);
}
void insert(std::vector<std::uint64_t>& sorted, std::uint64_t value) {
    sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), value), value);
}

// Only a few rare events carry state in their payload (session kind, participant role); parsing is confined to them,
// so the hot path (messages) never parses `data`.
nlohmann::json payload(const Event& event) {
    if (event.data.empty()) return nullptr;
    nlohmann::json data = nlohmann::json::parse(event.data, nullptr, false);
    return data.is_discarded() ? nlohmann::json() : data;
}

bool is_interactive(const nlohmann::json& data) {
    if (!data.is_object()) return false;
    if (const auto it = data.find("interactive"); it != data.end() && it->is_boolean() && it->get<bool>()) return true;
    for (const char* key : {"channel", "channelType"}) {
        if (const auto it = data.find(key); it != data.end() && it->is_string() && it->get<std::string>() == "VOICE") {
            return true;
        }
    }
    return false;
}

ParticipantRole role_in(const nlohmann::json& data, ParticipantRole fallback) {
    ParticipantRole role = fallback;
    if (!data.is_object()) return role;
    if (const auto it = data.find("role"); it != data.end() && it->is_string()) {
        parse_participant_role(it->get<std::string>(), role);  // an unknown spelling keeps the fallback
    }
    return role;
}

// Ids reach the tracker validated as UTF-8 (wire reader, ABI check), but a journal written before that check may
// hold anything: an invalid byte becomes U+FFFD here rather than an exception on a timer thread.
std::string dump_lenient(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Emitter system_emitter() { return {"cimrt", EmitterType::system, "session-tracker"}; }

// The header every event the tracker emits on the runtime's behalf shares; `id` stays empty for the runtime to stamp.
Event system_event(const char* name, const Conversation& c, std::int64_t timestamp_ms) {
    Event e;
    e.name = name;
    e.type = EventType::notification;
    e.timestamp_ms = timestamp_ms;
    e.conversation_id = c.id;
    e.customer_id = c.customer_id;
    e.emitter = system_emitter();
    return e;
}

// A session event the runtime emits itself (a call ended by a departure, an expiry), carrying the session as it is
// after the event.
Event session_event(const char* name, const Conversation& c, const ChannelSession& s, ChannelSessionState after,
                    std::int64_t timestamp_ms) {
    Event e = system_event(name, c, timestamp_ms);
    e.channel_session_id = s.id;
    ChannelSession then = s;
    then.state = after;
    e.data = dump_lenient(channel_session_json(then));
    return e;
}

bool is_open(const ChannelSession& s) { return s.state == ChannelSessionState::started; }

// The state is a function of the tracked facts (docs/sessions.md, "Conversation states"), never a stored transition
// table: replaying the same events therefore always ends in the same state.
ConversationState state_of(Conversation& c) {
    if (c.has_open_session()) {
        c.ever_active = true;
        const bool held = std::any_of(c.channel_sessions.begin(), c.channel_sessions.end(),
                                      [](const ChannelSession& s) { return is_open(s) && s.on_hold; });
        if (held) return ConversationState::on_hold;
        return c.customer_unresponsive ? ConversationState::inactive : ConversationState::active;
    }
    // INACTIVE speaks of the customer on an open session; with none left, a session opened later starts afresh.
    c.customer_unresponsive = false;
    if (!c.ever_active) return ConversationState::created;  // an agent subscribed before any session: still CREATED
    return c.has_active_agent() ? ConversationState::wrap_up : ConversationState::closed;
}

void start_session(Conversation& c, const Event& event) {
    ChannelSession* s = c.find_session(event.channel_session_id);
    if (s != nullptr && is_open(*s)) return;  // already open: a repeated start changes nothing
    if (s == nullptr) {
        c.channel_sessions.emplace_back();
        s = &c.channel_sessions.back();
        s->id = event.channel_session_id;
    }
    // A channel that reuses its session id when the customer returns reopens that session.
    s->state = ChannelSessionState::started;
    s->on_hold = false;
    s->interactive = is_interactive(payload(event));
    s->last_customer_activity_ms = std::max(s->last_customer_activity_ms, event.timestamp_ms);
}

void end_session(Conversation& c, const Event& event, ChannelSessionState how) {
    ChannelSession* s = c.find_session(event.channel_session_id);
    if (s != nullptr && is_open(*s)) s->state = how;  // unknown or closed already: nothing to end, and no error
}

void subscribe_agent(Conversation& c, const Event& event) {
    const ParticipantRole role = role_in(payload(event), ParticipantRole::primary);
    if (Participant* p = c.find_participant(event.emitter.id)) {
        p->active = true;
        p->role = role;
    } else {
        c.participants.push_back({event.emitter.id, EmitterType::agent, role, true});
    }
}

void unsubscribe_agent(Conversation& c, const Event& event, std::vector<Event>& derived) {
    Participant* p = c.find_participant(event.emitter.id);
    if (p == nullptr || !p->active) return;  // someone who is not in the conversation cannot leave it (or end a call)
    p->active = false;
    // A call cannot outlive a participant: every open interactive session ends with this departure. The runtime
    // applies the derived event, which is what actually ends the session (and so the journal shows why).
    for (const ChannelSession& s : c.channel_sessions) {
        if (!is_open(s) || !s.interactive) continue;
        derived.push_back(session_event("CHANNEL_SESSION_ENDED", c, s, ChannelSessionState::ended, event.timestamp_ms));
    }
}

void note_customer_activity(Conversation& c, const Event& event) {
    c.customer_unresponsive = false;
    for (ChannelSession& s : c.channel_sessions) {
        if (!is_open(s)) continue;
        // Without a session id the customer is present on every chat session of the conversation; calls do not
        // expire on inactivity, so their clock needs no refresh.
        const bool refresh = event.channel_session_id.empty() ? !s.interactive : s.id == event.channel_session_id;
        // Only forward: a late event (stamped before the last one seen) must not rewind the expiry clock.
        if (refresh) s.last_customer_activity_ms = std::max(s.last_customer_activity_ms, event.timestamp_ms);
    }
}

}  // namespace

SessionTracker::SessionTracker(TrackerOptions options) : options_(options) {}

bool SessionTracker::has_seen(const Event& event) const {
    const std::uint64_t id_hash = event_id_hash(event.id);
    if (event.conversation_id.empty()) return contains(seen_without_conversation_, id_hash);
    const Conversation* c = lookup(event.conversation_id);
    return c != nullptr && contains(c->seen_event_ids, id_hash);
}

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

    Conversation* found = lookup(event.conversation_id);
    if (found == nullptr) {
        Conversation& fresh = conversations_.try_emplace(event.conversation_id).first->second;
        fresh.id = event.conversation_id;
        found = recent_ = &fresh;
    }
    Conversation& c = *found;
    if (contains(c.seen_event_ids, id_hash)) {
        out.duplicate = true;
        return out;
    }
    insert(c.seen_event_ids, id_hash);
    const std::string_view name = event.name;
    // The tracker's own output coming back (the runtime applies what it derived; a replayed journal holds it): the
    // state it announces is re-derived from the facts, never taken from the event.
    if (name == "TOPIC_STATE_CHANGED") return out;

    if (c.customer_id.empty()) c.customer_id = event.customer_id;
    const ConversationState before = c.state;

    if (name == "CHANNEL_SESSION_STARTED") {
        start_session(c, event);
    } else if (name == "CHANNEL_SESSION_ENDED") {
        end_session(c, event, ChannelSessionState::ended);
    } else if (name == "CHANNEL_SESSION_EXPIRED") {
        end_session(c, event, ChannelSessionState::expired);
    } else if (name == "CALL_HOLD" || name == "CALL_RESUME") {
        if (ChannelSession* s = c.find_session(event.channel_session_id)) s->on_hold = name == "CALL_HOLD";
    } else if (name == "AGENT_SUBSCRIBED") {
        subscribe_agent(c, event);
    } else if (name == "AGENT_UNSUBSCRIBED") {
        unsubscribe_agent(c, event, out.derived);
    } else if (name == "PARTICIPANT_ROLE_CHANGED") {
        if (Participant* p = c.find_participant(event.emitter.id)) p->role = role_in(payload(event), p->role);
    } else if (name == "ASSOCIATED_CUSTOMER_CHANGED") {
        c.customer_id = event.customer_id;
    } else if (name == "CUSTOMER_RESPONSE_TIMEOUT") {
        if (c.has_open_session()) c.customer_unresponsive = true;
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
    if (event.emitter.type == EmitterType::customer || name == "CUSTOMER_MESSAGE") note_customer_activity(c, event);

    c.state = state_of(c);
    if (c.state == ConversationState::closed && before != ConversationState::closed) c.closed_at_ms = event.timestamp_ms;
    schedule(c);
    if (c.state != before) {
        Event changed = system_event("TOPIC_STATE_CHANGED", c, event.timestamp_ms);
        changed.data =
            dump_lenient(nlohmann::json{{"from", to_string(before)}, {"to", to_string(c.state)}, {"reason", event.name}});
        out.derived.push_back(std::move(changed));
    }
    return out;
}

std::optional<std::int64_t> SessionTracker::deadline_of(const Conversation& c) const {
    if (c.state == ConversationState::closed) {
        if (options_.closed_grace.count() < 0) return std::nullopt;
        return c.closed_at_ms + options_.closed_grace.count();
    }
    std::optional<std::int64_t> earliest;
    const std::int64_t timeout = options_.customer_inactivity_timeout.count();
    for (const ChannelSession& s : c.channel_sessions) {
        if (!is_open(s) || s.interactive) continue;
        const std::int64_t deadline = s.last_customer_activity_ms + timeout;
        if (!earliest || deadline < *earliest) earliest = deadline;
    }
    return earliest;
}

namespace {
constexpr auto later = [](const auto& a, const auto& b) { return a.at > b.at; };  // std heaps are max-heaps
}  // namespace

void SessionTracker::schedule(Conversation& c) {
    const auto deadline = deadline_of(c);
    if (!deadline) return;
    // An entry at or before the deadline is enough: when it comes up early it re-schedules (customer activity only
    // ever moves a deadline later, so this is the common case and costs nothing).
    if (c.armed_ms != Conversation::no_deadline && c.armed_ms <= *deadline) return;
    deadlines_.push_back({*deadline, &c});
    std::push_heap(deadlines_.begin(), deadlines_.end(), later);
    ++c.heap_entries;
    c.armed_ms = *deadline;
}

Conversation* SessionTracker::pop_deadline() {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), later);
    const Deadline top = deadlines_.back();
    deadlines_.pop_back();
    Conversation& c = *top.conversation;
    --c.heap_entries;
    if (c.armed_ms == top.at) c.armed_ms = Conversation::no_deadline;
    if (!c.buried) return &c;
    if (c.heap_entries == 0) graveyard_.erase(&c);
    return nullptr;
}

void SessionTracker::remember_evicted(std::uint64_t id_hash) {
    if (was_evicted_hash(id_hash)) return;
    evicted_recent_.push_back(id_hash);
    if (evicted_recent_.size() < 1024) return;
    std::sort(evicted_recent_.begin(), evicted_recent_.end());
    const auto middle = evicted_sorted_.insert(evicted_sorted_.end(), evicted_recent_.begin(), evicted_recent_.end());
    std::inplace_merge(evicted_sorted_.begin(), middle, evicted_sorted_.end());
    evicted_recent_.clear();
}

bool SessionTracker::was_evicted_hash(std::uint64_t id_hash) const {
    return contains(evicted_sorted_, id_hash) ||
           std::find(evicted_recent_.begin(), evicted_recent_.end(), id_hash) != evicted_recent_.end();
}

bool SessionTracker::was_evicted(std::string_view conversation_id) const {
    return find(conversation_id) == nullptr && was_evicted_hash(event_id_hash(conversation_id));
}

void SessionTracker::evict(Conversation& c, Due& due) {
    std::string id = c.id;  // a copy: erase must not read a key that lives in the node it destroys
    recent_ = nullptr;
    remember_evicted(event_id_hash(id));
    if (c.heap_entries == 0) {
        conversations_.erase(id);
    } else {
        // Stale heap entries still point here: keep the bare node until they come up, its content freed now.
        auto node = conversations_.extract(id);
        Conversation& dead = node.mapped();
        dead = Conversation{};
        dead.heap_entries = c.heap_entries;
        dead.buried = true;
        graveyard_.emplace(&dead, std::move(node));
    }
    due.evicted.push_back(std::move(id));
}

Due SessionTracker::take_due(std::int64_t now_ms) {
    Due due;
    std::vector<Conversation*> expiring;
    while (!deadlines_.empty() && deadlines_.front().at <= now_ms) {
        Conversation* popped = pop_deadline();
        if (popped == nullptr) continue;
        Conversation& c = *popped;
        const auto deadline = deadline_of(c);
        if (!deadline) continue;                                  // nothing to wait for any more (a call, say)
        if (*deadline > now_ms) {                                 // stale: the deadline moved later
            schedule(c);
            continue;
        }
        if (c.state == ConversationState::closed) {
            evict(c, due);
            continue;
        }
        if (!c.due_listed) {
            c.due_listed = true;
            expiring.push_back(&c);
        }
    }
    const std::int64_t timeout = options_.customer_inactivity_timeout.count();
    for (Conversation* c : expiring) {
        c->due_listed = false;
        for (const ChannelSession& s : c->channel_sessions) {
            if (!is_open(s) || s.interactive || s.last_customer_activity_ms + timeout > now_ms) continue;
            due.expired.push_back(session_event("CHANNEL_SESSION_EXPIRED", *c, s, ChannelSessionState::expired, now_ms));
        }
        // Still due until the expiry is applied: a refused or failed publish finds it again on the next round.
        schedule(*c);
    }
    return due;
}

std::optional<std::int64_t> SessionTracker::next_expiry_ms() {
    while (!deadlines_.empty()) {
        const Deadline top = deadlines_.front();
        if (!top.conversation->buried) {
            const auto deadline = deadline_of(*top.conversation);
            if (deadline && *deadline <= top.at) return top.at;
        }
        // Stale: skipped here rather than waking the shard for nothing.
        if (Conversation* c = pop_deadline()) schedule(*c);
    }
    return std::nullopt;
}

Conversation* SessionTracker::lookup(std::string_view conversation_id) const {
    if (recent_ != nullptr && recent_->id == conversation_id) return recent_;
    const auto it = conversations_.find(conversation_id);
    if (it == conversations_.end()) return nullptr;
    // The table is this tracker's own; a const lookup hands out a mutable pointer only to its non-const callers.
    recent_ = const_cast<Conversation*>(&it->second);
    return recent_;
}

const Conversation* SessionTracker::find(std::string_view conversation_id) const { return lookup(conversation_id); }

void SessionTracker::for_each(const std::function<void(const Conversation&)>& visit) const {
    for (const auto& [id, c] : conversations_) visit(c);
}

}  // namespace cim::core
