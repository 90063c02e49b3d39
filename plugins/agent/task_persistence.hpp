// Where the agent plugin keeps what a restart must not lose: the task records and the queue's order that the task
// machine's PersistTask / ForgetTask / PersistQueue effects write, read back once at start (TaskMachine::restore).
// One small interface, so the plugin runs those effects the same way whatever keeps them: the runtime's plugin
// state (ABI 1.2) when the host has it, else the plugin's memory.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <cim/host.hpp>
#include <nlohmann/json.hpp>

namespace cim::agent {

class TaskPersistence {
public:
    struct Loaded {
        std::vector<nlohmann::json> tasks;  ///< one TaskRecord (to_json) per conversation
        nlohmann::json queue;               ///< the last PersistQueue, or null
    };

    virtual ~TaskPersistence() = default;
    /// Replaces the state of `conversation_id` with `task`.
    virtual void put_task(const std::string& conversation_id, const nlohmann::json& task) = 0;
    /// Removes the state of `conversation_id` (no error when there is none).
    virtual void erase_task(const std::string& conversation_id) = 0;
    virtual void put_queue(const nlohmann::json& queue) = 0;
    /// Everything stored, for restore().
    virtual Loaded load() = 0;
};

/// Kept in the plugin's memory: survives nothing beyond the plugin object. Thread-safe.
class MemoryTaskPersistence final : public TaskPersistence {
public:
    void put_task(const std::string& conversation_id, const nlohmann::json& task) override {
        std::lock_guard lock(mutex_);
        tasks_[conversation_id] = task;
    }
    void erase_task(const std::string& conversation_id) override {
        std::lock_guard lock(mutex_);
        tasks_.erase(conversation_id);
    }
    void put_queue(const nlohmann::json& queue) override {
        std::lock_guard lock(mutex_);
        queue_ = queue;
    }
    Loaded load() override {
        std::lock_guard lock(mutex_);
        Loaded loaded{{}, queue_};
        for (const auto& [id, task] : tasks_) loaded.tasks.push_back(task);
        return loaded;
    }

private:
    std::mutex mutex_;
    std::map<std::string, nlohmann::json> tasks_;
    nlohmann::json queue_;
};

/**
 * Kept by the runtime (ABI 1.2 plugin state), so it survives a restart: each record under key "task" in its
 * conversation's scope (it lives and goes with the conversation), the queue's order under "queue" in the plugin's
 * scope. Writes throw cim::Error when the store cannot write (the plugin logs it). Thread-safe (the host's calls are).
 */
class HostTaskPersistence final : public TaskPersistence {
public:
    explicit HostTaskPersistence(const cim::Host& host) : host_(host) {}

    void put_task(const std::string& conversation_id, const nlohmann::json& task) override {
        host_.put_json(conversation_id, task_key, task);
    }
    void erase_task(const std::string& conversation_id) override { host_.erase_state(conversation_id, task_key); }
    void put_queue(const nlohmann::json& queue) override { host_.put_json(cim::plugin_scope, queue_key, queue); }
    /// Cost: O(the plugin's entries), once at start. A record that is not JSON is skipped with a warning.
    Loaded load() override {
        Loaded loaded;
        for (const std::string& scope : host_.state_scopes()) {
            try {
                if (auto task = host_.get_json(scope, task_key)) loaded.tasks.push_back(std::move(*task));
            } catch (const std::exception& e) {
                host_.log().warn("the agent's task of conversation " + scope + " is skipped: " + e.what());
            }
        }
        try {
            loaded.queue = host_.get_json(cim::plugin_scope, queue_key).value_or(nullptr);
        } catch (const std::exception& e) {
            host_.log().warn(std::string("the agent's queue order is skipped (waiting tasks keep their arrival order): ") +
                             e.what());
        }
        return loaded;
    }

private:
    static constexpr const char* task_key = "task";
    static constexpr const char* queue_key = "queue";
    const cim::Host& host_;
};

}  // namespace cim::agent
