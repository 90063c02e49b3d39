#include "task_machine.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "desk_entries.hpp"

namespace cim::agent {
namespace {

constexpr const char* manager_id = "agent-manager";
constexpr std::size_t max_text = 4000;

nlohmann::json task_json(const Task& task, const char* state, const std::string& reason) {
    nlohmann::json j = {{"id", task.id},
                        {"conversationId", task.conversation_id},
                        {"customerId", task.customer_id},
                        {"state", state},
                        {"enqueuedAt", task.enqueued_at_ms}};
    if (!task.agent_id.empty()) j["agentId"] = task.agent_id;
    if (!reason.empty()) j["reason"] = reason;
    return j;
}

std::string not_yours(const std::string& conversation_id) { return "conversation '" + conversation_id + "' is not yours"; }

// ---- reading a persisted record: every member checked, so a damaged one is refused by name, never half-read ----

const nlohmann::json& member(const nlohmann::json& object, const char* key, bool (nlohmann::json::*is)() const noexcept,
                             const char* what) {
    const auto it = object.find(key);
    if (it == object.end() || !((*it).*is)()) throw std::invalid_argument(std::string("'") + key + "' must be " + what);
    return *it;
}

std::string string_member(const nlohmann::json& object, const char* key) {
    return member(object, key, &nlohmann::json::is_string, "a string").get<std::string>();
}

std::int64_t integer_member(const nlohmann::json& object, const char* key) {
    return member(object, key, &nlohmann::json::is_number_integer, "an integer").get<std::int64_t>();
}

std::set<std::string> string_set_member(const nlohmann::json& object, const char* key) {
    std::set<std::string> values;
    for (const auto& value : member(object, key, &nlohmann::json::is_array, "an array of strings")) {
        if (!value.is_string()) throw std::invalid_argument(std::string("'") + key + "' must be an array of strings");
        values.insert(value.get<std::string>());
    }
    return values;
}

}  // namespace

// ---- persisted form ----------------------------------------------------------------------------------------------

nlohmann::json to_json(const TaskRecord& record) {
    nlohmann::json j = {{"conversationId", record.conversation_id},
                        {"customerId", record.customer_id},
                        {"channelSessionId", record.channel_session_id},
                        {"seq", record.seq},
                        {"owners", record.owners},
                        {"responseDeadline", record.response_deadline_ms}};
    if (record.task) {
        const Task& t = *record.task;
        j["task"] = {{"id", t.id},
                     {"enqueuedAt", t.enqueued_at_ms},
                     {"state", to_string(t.state)},
                     {"agentId", t.agent_id},
                     {"timedOut", t.timed_out},
                     {"queueDeadline", record.queue_deadline_ms},
                     {"offerDeadline", record.offer_deadline_ms},
                     {"queueExpired", record.queue_expired}};
    }
    return j;
}

TaskRecord task_record_from_json(const nlohmann::json& json) {
    if (!json.is_object()) throw std::invalid_argument("a task must be a JSON object");
    TaskRecord record;
    record.conversation_id = string_member(json, "conversationId");
    if (record.conversation_id.empty()) throw std::invalid_argument("'conversationId' must not be empty");
    record.customer_id = string_member(json, "customerId");
    record.channel_session_id = string_member(json, "channelSessionId");
    const std::int64_t seq = integer_member(json, "seq");
    if (seq <= 0) throw std::invalid_argument("'seq' must be positive");
    record.seq = static_cast<std::uint64_t>(seq);
    record.owners = string_set_member(json, "owners");
    record.response_deadline_ms = integer_member(json, "responseDeadline");
    if (const auto it = json.find("task"); it != json.end() && !it->is_null()) {
        const nlohmann::json& t = *it;
        if (!t.is_object()) throw std::invalid_argument("'task' must be an object");
        Task task;
        task.id = string_member(t, "id");
        task.conversation_id = record.conversation_id;
        task.customer_id = record.customer_id;
        task.channel_session_id = record.channel_session_id;
        task.enqueued_at_ms = integer_member(t, "enqueuedAt");
        const std::string state = string_member(t, "state");
        if (state == "QUEUED") {
            task.state = TaskState::queued;
        } else if (state == "RESERVED") {
            task.state = TaskState::reserved;
        } else {
            throw std::invalid_argument("'task.state' must be QUEUED or RESERVED, not '" + state + "'");
        }
        task.agent_id = string_member(t, "agentId");
        if (task.state == TaskState::reserved && task.agent_id.empty()) {
            throw std::invalid_argument("a RESERVED task needs its 'agentId'");
        }
        task.timed_out = string_set_member(t, "timedOut");
        record.queue_deadline_ms = integer_member(t, "queueDeadline");
        record.offer_deadline_ms = integer_member(t, "offerDeadline");
        record.queue_expired = member(t, "queueExpired", &nlohmann::json::is_boolean, "a boolean").get<bool>();
        record.task = std::move(task);
    }
    return record;
}

// ---- the machine ---------------------------------------------------------------------------------------------------

TaskMachine::TaskMachine(MachineSettings settings, std::function<std::string()> new_uuid)
    : settings_(std::move(settings)), new_uuid_(std::move(new_uuid)), statuses_(settings_.auto_away_after_missed_offers) {
    for (const DeskAgent& a : settings_.agents) {
        agents_[a.id] = a;
        router_.add_agent(a.id, a.capacity);
    }
}

std::optional<TaskRecord> TaskMachine::record(const std::string& conversation_id) const {
    const auto it = conversations_.find(conversation_id);
    if (it == conversations_.end()) return std::nullopt;
    const Conversation& c = it->second;
    TaskRecord r;
    r.conversation_id = conversation_id;
    r.customer_id = c.customer_id;
    r.channel_session_id = c.channel_session_id;
    r.seq = c.seq;
    if (!c.task_id.empty()) {
        const auto& tasks = router_.tasks();
        const auto task = std::find_if(tasks.begin(), tasks.end(), [&](const Task& t) { return t.id == c.task_id; });
        if (task != tasks.end()) r.task = *task;
    }
    r.queue_deadline_ms = c.queue_deadline_ms;
    r.offer_deadline_ms = c.offer_deadline_ms;
    r.queue_expired = c.queue_expired;
    r.owners = c.owners;
    r.response_deadline_ms = c.response_deadline_ms;
    return r;
}

Effects TaskMachine::finish() {
    // The state is written before anyone hears of the step (a crash in between replays it, never loses it).
    Effects persist;
    for (const std::string& id : changed_) {
        if (const auto r = record(id)) {
            persist.emplace_back(effect::PersistTask{id, to_json(*r)});
        } else {
            persist.emplace_back(effect::ForgetTask{id});
        }
    }
    if (queue_changed_) {
        nlohmann::json order = nlohmann::json::array();
        for (const Task& t : router_.tasks()) order.push_back(t.conversation_id);
        persist.emplace_back(effect::PersistQueue{{{"order", std::move(order)}, {"nextSeq", next_seq_}}});
    }
    changed_.clear();
    queue_changed_ = false;
    persist.insert(persist.end(), std::make_move_iterator(out_.begin()), std::make_move_iterator(out_.end()));
    out_.clear();
    return persist;
}

// ---- inputs ----------------------------------------------------------------------------------------------------

Effects TaskMachine::consume(const ConsumedEvent& event, std::int64_t now) {
    const std::string& name = event.name;
    if (name == "ACTION_MESSAGE") {
        if (event.action == "FIND_AGENT") enqueue(event, "the bot asked for an agent", now);
        return finish();
    }
    if (name == "BOT_TIMEOUT" || name == "BOT_NOT_AVAILABLE") {
        if (settings_.escalate_on_bot_timeout) {
            enqueue(event, name == "BOT_TIMEOUT" ? "the bot did not answer in time" : "the bot is not available", now);
        }
        return finish();
    }
    Conversation* c = find(event.conversation_id);
    if (c == nullptr) return finish();  // no agent has anything to do with it
    if (name == "CHANNEL_SESSION_ENDED" || name == "CHANNEL_SESSION_EXPIRED") {
        customer_left(event.conversation_id, name == "CHANNEL_SESSION_EXPIRED" ? "expired" : "ended", now);
        return finish();
    }
    if (name == "CUSTOMER_MESSAGE") {
        if (!event.channel_session_id.empty() && event.channel_session_id != c->channel_session_id) {
            c->channel_session_id = event.channel_session_id;
            changed(event.conversation_id);
        }
        if (!c->owners.empty() && c->response_deadline_ms == 0) {
            arm(event.conversation_id, *c, TimerKind::response, c->response_deadline_ms,
                now + settings_.response_timeout.count());
            changed(event.conversation_id);
        }
    }
    if (event.entry) {
        // Suggestions and receipts are for those working the conversation; an offer shows the conversation so far.
        const bool owners_only = name == "BOT_SUGGESTION" || name == "MESSAGE_DELIVERY_NOTIFICATION";
        send_entry(event.conversation_id, *c, *event.entry, !owners_only);
    }
    return finish();
}

Effects TaskMachine::timer_fired(std::uint64_t token, std::int64_t now) {
    const auto id = by_seq_.find(token / 4);
    const std::uint64_t kind = token % 4;
    if (id == by_seq_.end() || kind == 0) return finish();  // its conversation is gone: a timer cancelled too late
    Conversation& c = conversations_.at(id->second);
    std::int64_t deadline = 0;
    switch (static_cast<TimerKind>(kind)) {
        case TimerKind::offer: deadline = c.offer_deadline_ms; break;
        case TimerKind::queue: deadline = c.queue_deadline_ms; break;
        case TimerKind::response: deadline = c.response_deadline_ms; break;
    }
    if (deadline == 0) return finish();  // disarmed after it was due
    if (now < deadline) {
        // Early: a firing of an earlier arming with the same token, cancelled too late. The real one is still due.
        out_.emplace_back(effect::ArmTimer{token, deadline, id->second});
        return finish();
    }
    fire(static_cast<TimerKind>(kind), id->second, now);
    return finish();
}

Effects TaskMachine::accept(const std::string& agent_id, const std::string& conversation_id, std::int64_t /*now*/) {
    const Task* task = offered_to(agent_id, conversation_id);
    if (task == nullptr) {
        reply(desk_error_frame("conversation '" + conversation_id + "' is not offered to you", conversation_id));
        return finish();
    }
    Conversation& c = conversations_.at(conversation_id);
    if (c.accepting) return finish();  // another of the agent's desks accepted it a moment ago: its answer goes to all
    // Decided when the runtime has taken the subscription (published()): the offer is held meanwhile.
    c.accepting = true;
    publish(from_agent("AGENT_SUBSCRIBED", conversation_id, c, agent_id).data({{"role", "PRIMARY"}, {"taskId", task->id}}),
            PendingPublish{PendingPublish::Kind::subscribe, conversation_id, agent_id, {}, {}});
    return finish();
}

Effects TaskMachine::decline(const std::string& agent_id, const std::string& conversation_id, std::int64_t now) {
    if (offered_to(agent_id, conversation_id) == nullptr) {
        reply(desk_error_frame("conversation '" + conversation_id + "' is not offered to you", conversation_id));
        return finish();
    }
    Conversation& c = conversations_.at(conversation_id);
    if (c.accepting) return finish();  // accepted from another desk already
    disarm(c, TimerKind::offer, c.offer_deadline_ms);
    offer_ended(conversation_id, "DECLINED", now);
    return finish();
}

Effects TaskMachine::say(const std::string& agent_id, const std::string& conversation_id, const std::string& text,
                         bool whisper, std::int64_t /*now*/) {
    Conversation* c = owned_by(agent_id, conversation_id);
    if (c == nullptr) return finish();
    if (text.empty() || text.size() > max_text) {
        reply(desk_error_frame("text is required (at most " + std::to_string(max_text) + " bytes)", conversation_id));
        return finish();
    }
    const nlohmann::json message = {{"id", "agent-" + new_uuid_()},
                                    {"header", {{"sender", sender_of(agent_id)}}},
                                    {"body", {{"type", "PLAIN"}, {"markdownText", text}}}};
    const std::string event_id = new_uuid_();
    const auto kind = whisper ? PendingPublish::Kind::whisper : PendingPublish::Kind::say;
    publish(from_agent(whisper ? "WHISPER_MESSAGE" : "AGENT_MESSAGE", conversation_id, *c, agent_id)
                .id(event_id)
                .data(message),
            PendingPublish{kind, conversation_id, agent_id, event_id, text});
    return finish();
}

Effects TaskMachine::read(const std::string& agent_id, const std::string& conversation_id, const std::string& event_id,
                          std::int64_t /*now*/) {
    Conversation* c = owned_by(agent_id, conversation_id);
    if (c == nullptr) return finish();
    if (event_id.empty()) {
        reply(desk_error_frame("eventId is required", conversation_id));
        return finish();
    }
    publish(from_agent("MESSAGE_DELIVERY_NOTIFICATION", conversation_id, *c, agent_id)
                .refers_to(event_id)
                .data({{"status", "READ"}}));
    return finish();
}

Effects TaskMachine::wrap_up(const std::string& agent_id, const std::string& conversation_id,
                             const std::vector<std::string>& categories, const std::string& note, std::int64_t /*now*/) {
    Conversation* c = owned_by(agent_id, conversation_id);
    if (c == nullptr) return finish();
    if (categories.empty()) {
        reply(desk_error_frame("choose at least one wrap-up category", conversation_id));
        return finish();
    }
    const auto& allowed = settings_.wrapup_categories;
    std::string list;
    for (const auto& category : categories) {
        if (std::find(allowed.begin(), allowed.end(), category) == allowed.end()) {
            reply(desk_error_frame("unknown wrap-up category '" + category + "'", conversation_id));
            return finish();
        }
        list += (list.empty() ? "" : ", ") + category;
    }
    const nlohmann::json message = {
        {"id", "wrapup-" + new_uuid_()},
        {"header", {{"sender", sender_of(agent_id)}}},
        {"body", {{"type", "WRAPUP"}, {"markdownText", ""}, {"wrapups", {{{"categories", categories}, {"note", note}}}}}}};
    publish(from_agent("WRAPUP_APPLIED", conversation_id, *c, agent_id).data(message),
            PendingPublish{PendingPublish::Kind::wrap_up, conversation_id, agent_id, {}, list});
    return finish();
}

Effects TaskMachine::leave(const std::string& agent_id, const std::string& conversation_id, std::int64_t /*now*/) {
    Conversation* c = owned_by(agent_id, conversation_id);
    if (c == nullptr) return finish();
    if (!c->leaving.insert(agent_id).second) return finish();  // already leaving from another desk
    publish(from_agent("AGENT_UNSUBSCRIBED", conversation_id, *c, agent_id).data({{"role", "PRIMARY"}}),
            PendingPublish{PendingPublish::Kind::leave, conversation_id, agent_id, {}, {}});
    return finish();
}

Effects TaskMachine::transcript(const std::string& agent_id, const std::string& conversation_id, std::int64_t /*now*/) {
    if (Conversation* c = owned_by(agent_id, conversation_id)) {
        reply(assigned_frame(conversation_id, c->customer_id), conversation_id);
    }
    return finish();
}

Effects TaskMachine::published(const PendingPublish& pending, const PublishOutcome& outcome, std::int64_t now) {
    const std::string& id = pending.conversation_id;
    switch (pending.kind) {
        case PendingPublish::Kind::subscribe:
            subscribed(pending, outcome, now);
            break;
        case PendingPublish::Kind::say:
        case PendingPublish::Kind::whisper: {
            const bool whisper = pending.kind == PendingPublish::Kind::whisper;
            if (!outcome.ok) {
                reply(desk_error_frame(outcome.busy ? "busy: not sent, please retry" : "not sent: " + outcome.error, id));
                break;
            }
            Conversation* c = find(id);
            if (c == nullptr) break;
            if (!whisper && c->response_deadline_ms != 0) {
                disarm(*c, TimerKind::response, c->response_deadline_ms);
                changed(id);
            }
            // Every desk of every owner shows it (the plugin does not receive its own events back).
            send_entry(id, *c,
                       {{"eventId", pending.event_id},
                        {"kind", whisper ? "whisper" : "message"},
                        {"from", sender_of(pending.agent_id)},
                        {"text", pending.text},
                        {"timestamp", now}},
                       false);
            break;
        }
        case PendingPublish::Kind::wrap_up: {
            if (!outcome.ok) {
                reply(desk_error_frame("the wrap-up was not recorded; try again", id));
                break;
            }
            if (Conversation* c = find(id)) {
                const auto agent = agents_.find(pending.agent_id);
                const std::string name = agent == agents_.end() ? pending.agent_id : agent->second.name;
                send_entry(id, *c, status_entry(name + " wrapped up: " + pending.text, now), false);
            }
            break;
        }
        case PendingPublish::Kind::leave: {
            Conversation* c = find(id);
            if (c != nullptr) c->leaving.erase(pending.agent_id);
            if (!outcome.ok) {
                send_to_agent(pending.agent_id, desk_error_frame("leaving was not recorded; try again", id));
                break;
            }
            if (c == nullptr || c->owners.erase(pending.agent_id) == 0) break;
            router_.release(pending.agent_id, now);
            changed(id);
            send_to_agent(pending.agent_id, closed_frame(id));
            forget_if_idle(id);
            dispatch(now);
            break;
        }
    }
    return finish();
}

void TaskMachine::subscribed(const PendingPublish& pending, const PublishOutcome& outcome, std::int64_t now) {
    const std::string& id = pending.conversation_id;
    Conversation* c = find(id);
    if (c == nullptr || !c->accepting) return;
    c->accepting = false;
    const std::string left = std::exchange(c->left_while_accepting, {});
    Task* task = c->task_id.empty() ? nullptr : router_.find(c->task_id);
    if (!outcome.ok || task == nullptr) {
        reply(desk_error_frame("the runtime did not accept the subscription; try again", id));
        // The offer stands as it was; its timer may have run out while the runtime was asked.
        if (task != nullptr && c->offer_deadline_ms != 0 && now >= c->offer_deadline_ms) {
            c->offer_deadline_ms = 0;
            offer_ended(id, "ACCEPT_TIMEOUT", now);
        }
        if (!left.empty() && find(id) != nullptr) customer_left(id, left, now);
        return;
    }
    task_state_changed(*task, "ACTIVE");
    statuses_.answered(pending.agent_id);
    // Accepted within the offer: the agent is here, even if the queue's own wait ran out meanwhile.
    disarm(*c, TimerKind::offer, c->offer_deadline_ms);
    disarm(*c, TimerKind::queue, c->queue_deadline_ms);
    c->queue_expired = false;
    router_.accept(task->id);
    c->task_id.clear();
    c->owners.insert(pending.agent_id);
    changed(id);
    queue_changed_ = true;
    send_to_agent(pending.agent_id, assigned_frame(id, c->customer_id), id);
    if (!left.empty()) customer_left(id, left, now);
}

// ---- routing -----------------------------------------------------------------------------------------------------

void TaskMachine::enqueue(const ConsumedEvent& event, const std::string& reason, std::int64_t now) {
    const std::string& id = event.conversation_id;
    if (id.empty()) return;
    if (const Conversation* known = find(id); known != nullptr) return;  // already waiting, or already with an agent
    Conversation& c = conversations_[id];
    c.customer_id = event.customer_id;
    c.channel_session_id = event.channel_session_id;
    c.seq = next_seq_++;
    by_seq_[c.seq] = id;
    Task task;
    task.id = "task-" + new_uuid_();
    task.conversation_id = id;
    task.customer_id = c.customer_id;
    task.channel_session_id = c.channel_session_id;
    task.enqueued_at_ms = now;
    const Task& queued = router_.enqueue(std::move(task));
    c.task_id = queued.id;
    // Whether anyone is logged in at all: with nobody, the customer is told so at once (the bot's
    // no_agent_online_reply), not left to the whole queue_timeout under "an agent will be with you shortly".
    nlohmann::json enqueued = task_json(queued, "QUEUED", reason);
    enqueued["agentsOnline"] = router_.online_count();
    enqueued["agentsReady"] = router_.ready_count();
    publish(from_manager("TASK_ENQUEUED", id, c).data(std::move(enqueued)));
    task_state_changed(queued, "QUEUED", reason);
    arm(id, c, TimerKind::queue, c.queue_deadline_ms, now + settings_.queue_timeout.count());
    changed(id);
    queue_changed_ = true;
    dispatch(now);
}

// Offers every waiting task that fits an agent now.
void TaskMachine::dispatch(std::int64_t now) {
    while (auto offer = router_.next_offer(now)) {
        const Task& task = *router_.find(offer->task_id);
        Conversation& c = conversations_.at(task.conversation_id);
        publish(from_manager("AGENT_RESERVED", task.conversation_id, c)
                    .data({{"taskId", task.id}, {"agentId", offer->agent_id},
                           {"agentName", agents_.at(offer->agent_id).name}}));
        task_state_changed(task, "RESERVED");
        arm(task.conversation_id, c, TimerKind::offer, c.offer_deadline_ms, now + settings_.accept_timeout.count());
        changed(task.conversation_id);
        send_to_agent(offer->agent_id, offer_frame(task.conversation_id, task.customer_id, task.id, c.offer_deadline_ms),
                      task.conversation_id);
    }
}

void TaskMachine::fire(TimerKind kind, const std::string& conversation_id, std::int64_t now) {
    Conversation& c = conversations_.at(conversation_id);
    switch (kind) {
        case TimerKind::offer:
            if (c.accepting) return;  // decided by the accept's outcome, which sees the deadline has passed
            c.offer_deadline_ms = 0;
            changed(conversation_id);
            offer_ended(conversation_id, "ACCEPT_TIMEOUT", now);
            return;
        case TimerKind::queue: queue_ran_out(conversation_id, now); return;
        case TimerKind::response: response_ran_out(conversation_id); return;
    }
}

// The pending offer ended unaccepted (timed out or declined; its timer is already disarmed): the task waits again,
// that agent is skipped for it, and it goes to the next agent if one fits now.
void TaskMachine::offer_ended(const std::string& conversation_id, const char* reason, std::int64_t now) {
    Conversation& c = conversations_.at(conversation_id);
    Task* task = c.task_id.empty() ? nullptr : router_.find(c.task_id);
    if (task == nullptr || task->state != TaskState::reserved) return;
    const std::string agent_id = task->agent_id;
    const std::string task_id = task->id;
    const bool timed_out = std::string_view(reason) == "ACCEPT_TIMEOUT";
    if (timed_out) {
        publish(from_manager("ACCEPT_TIMEOUT", conversation_id, c).data({{"taskId", task_id}, {"agentId", agent_id}}));
    }
    send_to_agent(agent_id, withdrawn_frame(conversation_id, reason));
    router_.expire_offer(task_id, now);
    task_state_changed(*router_.find(task_id), "QUEUED", reason);
    changed(conversation_id);
    // Before the task is offered again: an agent set AWAY now is not offered the next one.
    if (timed_out) {
        missed_offer(agent_id, now);
    } else {
        statuses_.answered(agent_id);
    }
    dispatch(now);
    // The queue's wait ran out during the offer: with nobody else taking it now, nobody is available.
    if (const Task* still = router_.find(task_id); still && still->state == TaskState::queued && c.queue_expired) {
        no_agent(conversation_id, now);
    }
}

void TaskMachine::queue_ran_out(const std::string& conversation_id, std::int64_t now) {
    Conversation& c = conversations_.at(conversation_id);
    c.queue_deadline_ms = 0;
    changed(conversation_id);
    const Task* task = c.task_id.empty() ? nullptr : router_.find(c.task_id);
    if (task == nullptr) return;
    if (task->state == TaskState::reserved) {
        c.queue_expired = true;  // decided when the pending offer is accepted or ends
        return;
    }
    no_agent(conversation_id, now);
}

void TaskMachine::no_agent(const std::string& conversation_id, std::int64_t now) {
    Conversation& c = conversations_.at(conversation_id);
    const Task& task = *router_.find(c.task_id);
    publish(from_manager("NO_AGENT_AVAILABLE", conversation_id, c)
                .data({{"taskId", task.id}, {"waitedMs", now - task.enqueued_at_ms}}));
    task_state_changed(task, "CLOSED", "NO_AGENT_AVAILABLE");
    router_.remove(std::string(task.id), now);
    drop_task(c);
    forget_if_idle(conversation_id);
}

void TaskMachine::response_ran_out(const std::string& conversation_id) {
    Conversation& c = conversations_.at(conversation_id);
    c.response_deadline_ms = 0;
    changed(conversation_id);
    if (c.owners.empty()) return;
    publish(from_manager("AGENT_RESPONSE_TIMEOUT", conversation_id, c)
                .data({{"agentIds", c.owners}, {"timeoutMs", settings_.response_timeout.count()}}));
}

void TaskMachine::customer_left(const std::string& conversation_id, const std::string& how, std::int64_t now) {
    Conversation& c = conversations_.at(conversation_id);
    if (c.accepting) {
        c.left_while_accepting = how;  // the accept's outcome decides whose conversation it was when the customer left
        return;
    }
    disarm(c, TimerKind::response, c.response_deadline_ms);
    if (Task* task = c.task_id.empty() ? nullptr : router_.find(c.task_id)) {
        if (task->state == TaskState::reserved) send_to_agent(task->agent_id, withdrawn_frame(conversation_id, "CUSTOMER_LEFT"));
        task_state_changed(*task, "CANCELED", "CUSTOMER_LEFT");
        router_.remove(std::string(task->id), now);
        drop_task(c);
    }
    changed(conversation_id);
    send_entry(conversation_id, c, status_entry("The customer's session " + how + ".", now), false);
    forget_if_idle(conversation_id);
    dispatch(now);  // a freed reservation may let another task through
}

// The conversation's task left the router (served elsewhere, closed, canceled): its timers go with it.
void TaskMachine::drop_task(Conversation& c) {
    disarm(c, TimerKind::offer, c.offer_deadline_ms);
    disarm(c, TimerKind::queue, c.queue_deadline_ms);
    c.queue_expired = false;
    c.task_id.clear();
    queue_changed_ = true;
}

void TaskMachine::forget_if_idle(const std::string& conversation_id) {
    const auto it = conversations_.find(conversation_id);
    if (it == conversations_.end() || !it->second.owners.empty() || !it->second.task_id.empty()) return;
    disarm(it->second, TimerKind::response, it->second.response_deadline_ms);
    by_seq_.erase(it->second.seq);
    conversations_.erase(it);
    changed(conversation_id);
}

Effects TaskMachine::restore(const std::vector<nlohmann::json>& tasks, const nlohmann::json& queue, std::int64_t now) {
    if (!conversations_.empty() || !router_.tasks().empty()) {
        throw std::logic_error("restore() needs a machine without tasks");
    }
    std::map<std::string, TaskRecord> records;
    for (const nlohmann::json& json : tasks) {
        try {
            TaskRecord r = task_record_from_json(json);
            records[r.conversation_id] = std::move(r);
        } catch (const std::invalid_argument& e) {
            log(cim::LogLevel::warn, std::string("a persisted task is skipped: ") + e.what() + ": " +
                                         json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        }
    }
    // Queue order: as persisted, then any waiting task the order does not name (it was written a step apart), by seq.
    std::vector<std::string> order;
    std::set<std::string> placed;
    if (queue.is_object() && queue.contains("order") && queue["order"].is_array()) {
        for (const auto& id : queue["order"]) {
            if (!id.is_string()) continue;
            const auto r = records.find(id.get<std::string>());
            if (r != records.end() && r->second.task && placed.insert(r->first).second) order.push_back(r->first);
        }
    }
    std::vector<const TaskRecord*> rest;
    for (const auto& [id, r] : records) {
        if (r.task && placed.count(id) == 0) rest.push_back(&r);
    }
    std::sort(rest.begin(), rest.end(), [](const TaskRecord* a, const TaskRecord* b) { return a->seq < b->seq; });
    for (const TaskRecord* r : rest) order.push_back(r->conversation_id);

    if (queue.is_object() && queue.contains("nextSeq") && queue["nextSeq"].is_number_unsigned()) {
        next_seq_ = std::max(next_seq_, queue["nextSeq"].get<std::uint64_t>());
    }
    for (auto& [id, r] : records) {
        if (by_seq_.count(r.seq) != 0) {
            log(cim::LogLevel::warn, "a persisted task is skipped: conversation " + id + " repeats seq " +
                                         std::to_string(r.seq) + " of conversation " + by_seq_.at(r.seq));
            continue;
        }
        Conversation& c = conversations_[id];
        c.customer_id = r.customer_id;
        c.channel_session_id = r.channel_session_id;
        c.seq = r.seq;
        c.response_deadline_ms = r.response_deadline_ms;
        for (const std::string& owner : r.owners) {
            if (!knows_agent(owner)) {
                log(cim::LogLevel::warn, "conversation " + id + ": owner '" + owner + "' is no longer configured");
                changed(id);
                continue;
            }
            c.owners.insert(owner);
            router_.occupy(owner);
        }
        by_seq_[c.seq] = id;
        next_seq_ = std::max(next_seq_, c.seq + 1);
        if (r.task) {
            c.task_id = r.task->id;
            c.queue_deadline_ms = r.queue_deadline_ms;
            c.offer_deadline_ms = r.offer_deadline_ms;
            c.queue_expired = r.queue_expired;
        }
    }
    for (const std::string& id : order) {
        const auto c = conversations_.find(id);
        if (c == conversations_.end()) continue;
        Task task = *records.at(id).task;
        if (task.state == TaskState::reserved && !knows_agent(task.agent_id)) {
            log(cim::LogLevel::warn, "conversation " + id + ": the offer to '" + task.agent_id +
                                         "', no longer configured, is withdrawn");
            task.state = TaskState::queued;
            task.agent_id.clear();
            c->second.offer_deadline_ms = 0;
            changed(id);
        }
        router_.restore(std::move(task));
    }
    // A record left with nothing (its only owner is gone) is forgotten.
    std::vector<std::string> idle;
    for (const auto& [id, c] : conversations_) {
        if (c.owners.empty() && c.task_id.empty()) idle.push_back(id);
    }
    for (const std::string& id : idle) forget_if_idle(id);

    // Timers at their original deadlines; those that fell due while the runtime was down fire now, oldest first.
    struct Due {
        std::int64_t deadline;
        std::uint64_t seq;
        TimerKind kind;
    };
    std::vector<Due> due;
    for (const auto& [id, c] : conversations_) {
        const std::pair<TimerKind, std::int64_t> timers[] = {
            {TimerKind::offer, c.offer_deadline_ms}, {TimerKind::queue, c.queue_deadline_ms},
            {TimerKind::response, c.response_deadline_ms}};
        for (const auto& [kind, deadline] : timers) {
            if (deadline == 0) continue;
            if (deadline > now) {
                out_.emplace_back(effect::ArmTimer{token_of(c.seq, kind), deadline, id});
            } else {
                due.push_back({deadline, c.seq, kind});
            }
        }
    }
    std::sort(due.begin(), due.end(), [](const Due& a, const Due& b) {
        return a.deadline != b.deadline ? a.deadline < b.deadline : a.seq < b.seq;
    });
    for (const Due& d : due) {
        const auto id = by_seq_.find(d.seq);
        if (id == by_seq_.end()) continue;  // an earlier due timer ended the conversation
        const Conversation& c = conversations_.at(id->second);
        const std::int64_t deadline = d.kind == TimerKind::offer   ? c.offer_deadline_ms
                                      : d.kind == TimerKind::queue ? c.queue_deadline_ms
                                                                   : c.response_deadline_ms;
        if (deadline == 0) continue;  // disarmed by an earlier one (the offer ended with the task)
        fire(d.kind, id->second, now);
    }
    return finish();
}

// ---- helpers -----------------------------------------------------------------------------------------------------

void TaskMachine::arm(const std::string& conversation_id, const Conversation& c, TimerKind kind, std::int64_t& deadline,
                      std::int64_t at) {
    deadline = at;
    out_.emplace_back(effect::ArmTimer{token_of(c.seq, kind), at, conversation_id});
}

void TaskMachine::disarm(const Conversation& c, TimerKind kind, std::int64_t& deadline) {
    if (deadline == 0) return;
    deadline = 0;
    out_.emplace_back(effect::DisarmTimer{token_of(c.seq, kind)});
}

TaskMachine::Conversation* TaskMachine::find(const std::string& conversation_id) {
    const auto it = conversations_.find(conversation_id);
    return it == conversations_.end() ? nullptr : &it->second;
}

// Everything but accept and decline acts on a conversation the agent owns: nobody reads or writes another agent's.
TaskMachine::Conversation* TaskMachine::owned_by(const std::string& agent_id, const std::string& conversation_id) {
    Conversation* c = find(conversation_id);
    if (c == nullptr || c->owners.count(agent_id) == 0) {
        reply(desk_error_frame(not_yours(conversation_id), conversation_id));
        return nullptr;
    }
    return c;
}

Task* TaskMachine::offered_to(const std::string& agent_id, const std::string& conversation_id) {
    const Conversation* c = find(conversation_id);
    Task* task = c == nullptr || c->task_id.empty() ? nullptr : router_.find(c->task_id);
    return task != nullptr && task->state == TaskState::reserved && task->agent_id == agent_id ? task : nullptr;
}

cim::OutgoingEvent TaskMachine::event_for(const char* name, const std::string& conversation_id,
                                          const Conversation& c) const {
    return std::move(
        cim::OutgoingEvent(name).conversation(conversation_id).channel_session(c.channel_session_id).customer(c.customer_id));
}

cim::OutgoingEvent TaskMachine::from_manager(const char* name, const std::string& conversation_id,
                                             const Conversation& c) const {
    return std::move(event_for(name, conversation_id, c).emitter(cim::EmitterType::app, manager_id, "Agent manager"));
}

cim::OutgoingEvent TaskMachine::from_agent(const char* name, const std::string& conversation_id, const Conversation& c,
                                           const std::string& agent_id) const {
    return std::move(event_for(name, conversation_id, c).emitter(cim::EmitterType::agent, agent_id, agents_.at(agent_id).name));
}

nlohmann::json TaskMachine::sender_of(const std::string& agent_id) const {
    const auto it = agents_.find(agent_id);
    return {{"id", agent_id}, {"type", "AGENT"}, {"name", it == agents_.end() ? agent_id : it->second.name}};
}

void TaskMachine::publish(cim::OutgoingEvent event, std::optional<PendingPublish> pending) {
    out_.emplace_back(effect::Publish{std::move(event), std::move(pending)});
}

void TaskMachine::task_state_changed(const Task& task, const char* state, const std::string& reason) {
    const Conversation& c = conversations_.at(task.conversation_id);
    publish(from_manager("TASK_STATE_CHANGED", task.conversation_id, c).data(task_json(task, state, reason)));
}

void TaskMachine::send_to_agent(const std::string& agent_id, nlohmann::json frame, const std::string& transcript_of) {
    out_.emplace_back(effect::SendToDesk{agent_id, std::move(frame), transcript_of});
}

void TaskMachine::reply(nlohmann::json frame, const std::string& transcript_of) {
    out_.emplace_back(effect::Reply{std::move(frame), transcript_of});
}

// To the owners, and (when `to_offered`) to the agent the conversation is offered to, who sees it live.
void TaskMachine::send_entry(const std::string& conversation_id, const Conversation& c, const nlohmann::json& entry,
                             bool to_offered) {
    const nlohmann::json frame = event_frame(conversation_id, entry);
    for (const auto& agent_id : c.owners) send_to_agent(agent_id, frame);
    if (!to_offered || c.task_id.empty()) return;
    if (const Task* task = router_.find(c.task_id); task && task->state == TaskState::reserved) {
        send_to_agent(task->agent_id, frame);
    }
}

void TaskMachine::log(cim::LogLevel level, std::string message) { out_.emplace_back(effect::Log{level, std::move(message)}); }

}  // namespace cim::agent
