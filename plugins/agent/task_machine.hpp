// The agent plugin's routing as a pure state machine: inputs (an event consumed, a desk's command, a timer, the
// outcome of a publish) go in, effects come out (publish, send a frame to a desk, arm or disarm a timer, persist or
// forget a task). No lock, no I/O, no clock and no randomness of its own: the plugin (agent_plugin.cpp) holds a lock
// around each step and runs the effects after it, outside the lock; the unit tests assert the effects directly.
//
// What a restart must not lose is the machine's whole state, one TaskRecord per conversation (queue place, offer and
// its absolute deadline, owners, response timer) plus the queue's order: every step ends with PersistTask /
// ForgetTask / PersistQueue effects for what it changed, and restore() rebuilds a machine from them. Desks (sockets)
// are not state: agents log in again and get their work back. Timer tokens are derived from the record (its `seq`),
// so a restored machine's timers carry the tokens the persisted ones were armed with.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <cim/logger.hpp>
#include <cim/outgoing_event.hpp>
#include <nlohmann/json.hpp>

#include "agent_status.hpp"
#include "desk_frame.hpp"
#include "router.hpp"

namespace cim::agent {

/// What the machine is configured with (from AgentConfig).
struct MachineSettings {
    std::vector<DeskAgent> agents;  ///< in configuration order (ties of "longest idle" go to the first)
    std::vector<std::string> wrapup_categories;
    std::chrono::milliseconds accept_timeout{30000};
    std::chrono::milliseconds queue_timeout{120000};
    std::chrono::milliseconds response_timeout{180000};
    bool escalate_on_bot_timeout = true;
    int auto_away_after_missed_offers = 3;  ///< 0 = never
};

/// The custom event an agent's status or presence change is published as (README "Agent status").
inline constexpr const char* agent_state_changed = "cimrt.AGENT_STATE_CHANGED";

/// An event the plugin consumed, reduced to what routing reads.
struct ConsumedEvent {
    std::string name;
    std::string conversation_id;
    std::string channel_session_id;
    std::string customer_id;
    std::string action;                  ///< ACTION_MESSAGE: `data.action`
    std::optional<nlohmann::json> entry; ///< what a desk shows of it (desk_entries.hpp entry_of), if anything
};

enum class TimerKind : std::uint64_t { offer = 1, queue = 2, response = 3 };

/// A publish whose outcome decides what happens next (the agent's accept, message, wrap-up, leave): the plugin hands
/// it back to TaskMachine::published() with the runtime's answer.
struct PendingPublish {
    enum class Kind { subscribe, say, whisper, wrap_up, leave };
    Kind kind = Kind::say;
    std::string conversation_id;
    std::string agent_id;
    std::string event_id;  ///< say, whisper: the published event's id (the desk entry's eventId)
    std::string text;      ///< say, whisper: the text; wrap_up: the categories, as shown
};

/// The runtime's answer to a publish.
struct PublishOutcome {
    bool ok = true;
    bool busy = false;
    std::string error;
};

namespace effect {
/// Publish `event`; when `pending` is set, tell the machine the outcome (published()).
struct Publish {
    cim::OutgoingEvent event;
    std::optional<PendingPublish> pending;
};
/// Send `frame` to every desk `agent_id` is logged in on; with `transcript_of`, add that conversation's transcript.
struct SendToDesk {
    std::string agent_id;
    nlohmann::json frame;
    std::string transcript_of;
};
/// Send `frame` to the desk whose command this step answers (only from desk commands and their publish outcomes).
struct Reply {
    nlohmann::json frame;
    std::string transcript_of;
};
/// Have timer_fired(token) called at `deadline_ms` (absolute, the runtime's clock); replaces a timer with this token.
/// `conversation_id` is whose timer it is (the scope a persistent timer is kept in).
struct ArmTimer {
    std::uint64_t token = 0;
    std::int64_t deadline_ms = 0;
    std::string conversation_id;
};
struct DisarmTimer {
    std::uint64_t token = 0;
};
/// Store `task` (to_json of a TaskRecord) as the state of `conversation_id`, replacing what was there.
struct PersistTask {
    std::string conversation_id;
    nlohmann::json task;
};
/// The conversation's state is gone: nothing queued, offered or owned.
struct ForgetTask {
    std::string conversation_id;
};
/// Store the queue's order: `{"order": [conversationId...], "nextSeq": n}`.
struct PersistQueue {
    nlohmann::json queue;
};
struct Log {
    cim::LogLevel level = cim::LogLevel::info;
    std::string message;
};
}  // namespace effect

using Effect = std::variant<effect::Publish, effect::SendToDesk, effect::Reply, effect::ArmTimer, effect::DisarmTimer,
                            effect::PersistTask, effect::ForgetTask, effect::PersistQueue, effect::Log>;
using Effects = std::vector<Effect>;

/// Everything of one conversation a restart must not lose, as persisted.
struct TaskRecord {
    std::string conversation_id;
    std::string customer_id;
    std::string channel_session_id;
    std::uint64_t seq = 0;               ///< unique per record; its timers' tokens derive from it
    std::optional<Task> task;            ///< while queued or offered
    std::int64_t queue_deadline_ms = 0;  ///< 0 = not armed (the wait ran out, or no task)
    std::int64_t offer_deadline_ms = 0;  ///< 0 = no pending offer
    bool queue_expired = false;          ///< the wait ran out during the pending offer
    std::set<std::string> owners;
    std::int64_t response_deadline_ms = 0;  ///< 0 = the response timer is not armed
};

/// `{"conversationId", "customerId", "channelSessionId", "seq", "task"?: {...}, "owners", "responseDeadline"}`.
nlohmann::json to_json(const TaskRecord& record);
/// The inverse of to_json. @throws std::invalid_argument naming the member that is missing or mistyped.
TaskRecord task_record_from_json(const nlohmann::json& json);

/// Thread-safety: none; one caller at a time (the plugin's lock).
class TaskMachine {
public:
    /// `new_uuid` makes the ids of tasks and of the agents' messages (common::random_uuid in the plugin).
    TaskMachine(MachineSettings settings, std::function<std::string()> new_uuid);

    // ---- inputs: each returns what to do, in order ---------------------------------------------------------------

    Effects consume(const ConsumedEvent& event, std::int64_t now_ms);
    Effects timer_fired(std::uint64_t token, std::int64_t now_ms);
    /// A desk logged in as `agent_id` (checked credentials); `first_desk`: the agent was offline until now.
    Effects login(const std::string& agent_id, bool first_desk, std::int64_t now_ms);
    /// The agent's last desk closed: no new offers; pending ones run out, owned conversations stay.
    Effects logout(const std::string& agent_id, std::int64_t now_ms);
    Effects accept(const std::string& agent_id, const std::string& conversation_id, std::int64_t now_ms);
    Effects decline(const std::string& agent_id, const std::string& conversation_id, std::int64_t now_ms);
    Effects say(const std::string& agent_id, const std::string& conversation_id, const std::string& text, bool whisper,
                std::int64_t now_ms);
    Effects read(const std::string& agent_id, const std::string& conversation_id, const std::string& event_id,
                 std::int64_t now_ms);
    Effects wrap_up(const std::string& agent_id, const std::string& conversation_id,
                    const std::vector<std::string>& categories, const std::string& note, std::int64_t now_ms);
    Effects leave(const std::string& agent_id, const std::string& conversation_id, std::int64_t now_ms);
    Effects transcript(const std::string& agent_id, const std::string& conversation_id, std::int64_t now_ms);
    /// The agent chose a status on the desk ("READY", "BUSY", "AWAY"; anything else is refused with an `error`).
    Effects set_status(const std::string& agent_id, const std::string& status, std::int64_t now_ms);
    /// The outcome of an effect::Publish that carried `pending`.
    Effects published(const PendingPublish& pending, const PublishOutcome& outcome, std::int64_t now_ms);

    /**
     * Rebuilds the state from persisted tasks (to_json of TaskRecords) and the queue (PersistQueue), on a machine
     * that has none yet. Timers are armed again at their original deadlines; one already due fires now (its effects
     * are in the result). A record that does not parse is skipped with a warning; an owner or offer of an agent no
     * longer configured is dropped (the offer's task waits again). @throws std::logic_error on a machine with state.
     */
    Effects restore(const std::vector<nlohmann::json>& tasks, const nlohmann::json& queue, std::int64_t now_ms);

    // ---- reading ---------------------------------------------------------------------------------------------------

    bool knows_agent(const std::string& agent_id) const { return agents_.count(agent_id) != 0; }
    /// Conversations the machine has to do with (queued, offered or owned).
    std::size_t conversation_count() const { return conversations_.size(); }
    /// Whether `conversation_id` is one of them: its events may concern a desk.
    bool involved(const std::string& conversation_id) const { return conversations_.count(conversation_id) != 0; }
    /// The agent's chosen status (READY until they choose; kept across logouts, not across restarts).
    AgentStatus status_of(const std::string& agent_id) const { return statuses_.of(agent_id); }
    /// The persisted form of one conversation, if the machine has it.
    std::optional<TaskRecord> record(const std::string& conversation_id) const;
    /// The token of a record's timer: seq * 4 + kind.
    static std::uint64_t token_of(std::uint64_t seq, TimerKind kind) { return seq * 4 + static_cast<std::uint64_t>(kind); }

private:
    struct Conversation {
        std::string customer_id;
        std::string channel_session_id;
        std::uint64_t seq = 0;
        std::string task_id;  // while queued or offered: the task in router_
        std::int64_t queue_deadline_ms = 0;
        std::int64_t offer_deadline_ms = 0;
        bool queue_expired = false;
        std::set<std::string> owners;
        std::int64_t response_deadline_ms = 0;
        // In flight, never persisted: a restart forgets a publish it never heard the outcome of.
        bool accepting = false;           // AGENT_SUBSCRIBED is being published
        std::string left_while_accepting; // "ended" / "expired": the customer left meanwhile, decided after it
        std::set<std::string> leaving;    // AGENT_UNSUBSCRIBED is being published
    };

    Effects finish();  // this step's effects, with the persistence of what it changed in front
    void changed(const std::string& conversation_id) { changed_.insert(conversation_id); }

    void enqueue(const ConsumedEvent& event, const std::string& reason, std::int64_t now);
    void dispatch(std::int64_t now);
    void fire(TimerKind kind, const std::string& conversation_id, std::int64_t now);
    void offer_ended(const std::string& conversation_id, const char* reason, std::int64_t now);
    void queue_ran_out(const std::string& conversation_id, std::int64_t now);
    void no_agent(const std::string& conversation_id, std::int64_t now);
    void response_ran_out(const std::string& conversation_id);
    void customer_left(const std::string& conversation_id, const std::string& how, std::int64_t now);
    void subscribed(const PendingPublish& pending, const PublishOutcome& outcome, std::int64_t now);
    void drop_task(Conversation& c);
    // task_machine_status.cpp: the agent's status and presence
    void missed_offer(const std::string& agent_id, std::int64_t now);
    void state_changed(const std::string& agent_id, const char* previous, const char* state, const char* reason,
                       bool by_agent);
    void forget_if_idle(const std::string& conversation_id);

    void arm(const std::string& conversation_id, const Conversation& c, TimerKind kind, std::int64_t& deadline,
             std::int64_t at);
    void disarm(const Conversation& c, TimerKind kind, std::int64_t& deadline);

    Conversation* find(const std::string& conversation_id);
    Conversation* owned_by(const std::string& agent_id, const std::string& conversation_id);
    Task* offered_to(const std::string& agent_id, const std::string& conversation_id);

    cim::OutgoingEvent event_for(const char* name, const std::string& conversation_id, const Conversation& c) const;
    cim::OutgoingEvent from_manager(const char* name, const std::string& conversation_id, const Conversation& c) const;
    cim::OutgoingEvent from_agent(const char* name, const std::string& conversation_id, const Conversation& c,
                                  const std::string& agent_id) const;
    void publish(cim::OutgoingEvent event, std::optional<PendingPublish> pending = std::nullopt);
    void task_state_changed(const Task& task, const char* state, const std::string& reason = {});
    void send_to_agent(const std::string& agent_id, nlohmann::json frame, const std::string& transcript_of = {});
    void reply(nlohmann::json frame, const std::string& transcript_of = {});
    void send_entry(const std::string& conversation_id, const Conversation& c, const nlohmann::json& entry,
                    bool to_offered);
    void log(cim::LogLevel level, std::string message);
    nlohmann::json sender_of(const std::string& agent_id) const;

    MachineSettings settings_;
    std::function<std::string()> new_uuid_;
    std::unordered_map<std::string, DeskAgent> agents_;
    Router router_;
    AgentStatuses statuses_;
    std::map<std::string, Conversation> conversations_;        // by conversation id
    std::unordered_map<std::uint64_t, std::string> by_seq_;    // record seq → conversation id (timer tokens)
    std::uint64_t next_seq_ = 1;

    Effects out_;                     // the current step's effects
    std::set<std::string> changed_;   // conversations the current step changed
    bool queue_changed_ = false;
};

}  // namespace cim::agent
