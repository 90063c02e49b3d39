// Where the agent plugin keeps what a restart must not lose: the task records and the queue's order that the task
// machine's PersistTask / ForgetTask / PersistQueue effects write, read back once at start (TaskMachine::restore).
// One small interface, so the plugin runs those effects the same way whatever keeps them.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

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

}  // namespace cim::agent
