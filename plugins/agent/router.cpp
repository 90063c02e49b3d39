#include "router.hpp"

#include <algorithm>

namespace cim::agent {

const char* to_string(TaskState state) {
    switch (state) {
        case TaskState::queued: return "QUEUED";
        case TaskState::reserved: return "RESERVED";
    }
    return "UNKNOWN";
}

void Router::add_agent(const std::string& id, int capacity) {
    AgentSlot slot;
    slot.capacity = capacity;
    slot.order = agents_.size();
    agents_.emplace(id, slot);
}

void Router::set_online(const std::string& agent_id, bool online, std::int64_t now_ms) {
    auto& slot = agents_.at(agent_id);
    if (online && !slot.online) slot.idle_since_ms = now_ms;
    slot.online = online;
}

void Router::set_ready(const std::string& agent_id, bool ready, std::int64_t now_ms) {
    auto& slot = agents_.at(agent_id);
    if (ready && !slot.ready) slot.idle_since_ms = now_ms;
    slot.ready = ready;
}

int Router::ready_count() const {
    return static_cast<int>(
        std::count_if(agents_.begin(), agents_.end(), [](const auto& a) { return a.second.online && a.second.ready; }));
}

int Router::online_count() const {
    return static_cast<int>(std::count_if(agents_.begin(), agents_.end(), [](const auto& a) { return a.second.online; }));
}

Task& Router::enqueue(Task task) {
    task.state = TaskState::queued;
    tasks_.push_back(std::move(task));
    return tasks_.back();
}

Task& Router::restore(Task task) {
    if (task.state == TaskState::reserved) occupy(task.agent_id);
    tasks_.push_back(std::move(task));
    return tasks_.back();
}

void Router::occupy(const std::string& agent_id) {
    if (const auto it = agents_.find(agent_id); it != agents_.end()) ++it->second.load;
}

Task* Router::find(const std::string& task_id) {
    const auto it = std::find_if(tasks_.begin(), tasks_.end(), [&](const Task& t) { return t.id == task_id; });
    return it == tasks_.end() ? nullptr : &*it;
}

Task* Router::find_by_conversation(const std::string& conversation_id) {
    const auto it =
        std::find_if(tasks_.begin(), tasks_.end(), [&](const Task& t) { return t.conversation_id == conversation_id; });
    return it == tasks_.end() ? nullptr : &*it;
}

std::optional<Offer> Router::next_offer(std::int64_t now_ms) {
    for (Task& task : tasks_) {
        if (task.state != TaskState::queued) continue;
        const std::pair<const std::string, AgentSlot>* best = nullptr;
        for (const auto& candidate : agents_) {
            const AgentSlot& slot = candidate.second;
            if (!slot.online || !slot.ready || slot.load >= slot.capacity || task.timed_out.count(candidate.first) != 0) continue;
            if (best == nullptr || slot.idle_since_ms < best->second.idle_since_ms ||
                (slot.idle_since_ms == best->second.idle_since_ms && slot.order < best->second.order)) {
                best = &candidate;
            }
        }
        if (best == nullptr) continue;  // a later task may still fit an agent this one has timed out with
        AgentSlot& slot = agents_.at(best->first);
        ++slot.load;
        slot.idle_since_ms = now_ms;
        task.state = TaskState::reserved;
        task.agent_id = best->first;
        return Offer{task.id, task.agent_id};
    }
    return std::nullopt;
}

void Router::accept(const std::string& task_id) {
    // The conversation is the agent's now: it leaves the queue, its slot stays taken until release().
    tasks_.remove_if([&](const Task& t) { return t.id == task_id; });
}

void Router::expire_offer(const std::string& task_id, std::int64_t now_ms) {
    Task* task = find(task_id);
    if (task == nullptr || task->state != TaskState::reserved) return;
    task->timed_out.insert(task->agent_id);
    release(task->agent_id, now_ms);
    task->agent_id.clear();
    task->state = TaskState::queued;
}

void Router::remove(const std::string& task_id, std::int64_t now_ms) {
    const auto it = std::find_if(tasks_.begin(), tasks_.end(), [&](const Task& t) { return t.id == task_id; });
    if (it == tasks_.end()) return;
    if (it->state == TaskState::reserved) release(it->agent_id, now_ms);
    tasks_.erase(it);
}

void Router::release(const std::string& agent_id, std::int64_t now_ms) {
    const auto it = agents_.find(agent_id);
    if (it == agents_.end() || it->second.load == 0) return;
    --it->second.load;
    it->second.idle_since_ms = now_ms;
}

int Router::load(const std::string& agent_id) const {
    const auto it = agents_.find(agent_id);
    return it == agents_.end() ? 0 : it->second.load;
}

}  // namespace cim::agent
