// Routing: which waiting conversation (task) is offered to which agent.
//
// Tasks wait in arrival order. A task goes to an online, ready agent with a free slot (offered + owned < capacity) who has
// not already let this task's offer time out; among those, to the one idle longest — the agent whose last offer or
// last finished conversation lies furthest back (login counts as both). Pure bookkeeping: no I/O, no clock of its
// own, no lock (the plugin holds one).
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace cim::agent {

enum class TaskState { queued, reserved };

/// "QUEUED", "RESERVED".
const char* to_string(TaskState state);

struct Task {
    std::string id;
    std::string conversation_id;
    std::string customer_id;
    std::string channel_session_id;
    std::int64_t enqueued_at_ms = 0;
    TaskState state = TaskState::queued;
    std::string agent_id;                 ///< the reserved or owning agent
    std::set<std::string> timed_out;      ///< agents who let this task's offer expire
};

struct Offer {
    std::string task_id;
    std::string agent_id;
};

class Router {
public:
    /// Registers an agent (offline).
    void add_agent(const std::string& id, int capacity);
    bool has_agent(const std::string& id) const { return agents_.count(id) != 0; }
    void set_online(const std::string& agent_id, bool online, std::int64_t now_ms);
    /// Whether the agent takes new offers (their status is READY); an agent is ready until told otherwise. Becoming
    /// ready counts as becoming idle, like a login.
    void set_ready(const std::string& agent_id, bool ready, std::int64_t now_ms);
    /// Agents logged in (whatever their load or status).
    int online_count() const;
    /// Agents logged in and ready (whatever their load).
    int ready_count() const;

    /// Queues a task for `conversation_id`. @returns it.
    Task& enqueue(Task task);
    /// Puts back a task as it was persisted (queued, or reserved for `agent_id`, whose slot it takes), behind the
    /// tasks already there: restoring tasks in their queue order rebuilds the queue. @returns it.
    Task& restore(Task task);
    /// Takes one slot of `agent_id` for a conversation they own (restored); an unknown agent is ignored.
    void occupy(const std::string& agent_id);
    Task* find(const std::string& task_id);
    Task* find_by_conversation(const std::string& conversation_id);

    /// Reserves the next (task, agent) pair, or nothing when no queued task fits any agent.
    std::optional<Offer> next_offer(std::int64_t now_ms);
    /// The agent took the task: it leaves the router; the agent's slot stays taken until release().
    void accept(const std::string& task_id);
    /// The offer expired: the task waits again and the agent is skipped for it.
    void expire_offer(const std::string& task_id, std::int64_t now_ms);
    /// Drops a task (served, abandoned, no agent); a reserved agent's slot is freed.
    void remove(const std::string& task_id, std::int64_t now_ms);
    /// Frees one slot of `agent_id` (a conversation they owned ended).
    void release(const std::string& agent_id, std::int64_t now_ms);

    int load(const std::string& agent_id) const;
    /// The tasks in queue (arrival) order.
    const std::list<Task>& tasks() const { return tasks_; }

private:
    struct AgentSlot {
        int capacity = 1;
        int load = 0;
        bool online = false;
        bool ready = true;
        std::int64_t idle_since_ms = 0;
        std::size_t order = 0;  // configuration order breaks ties
    };

    std::unordered_map<std::string, AgentSlot> agents_;
    std::list<Task> tasks_;  // arrival order
};

}  // namespace cim::agent
