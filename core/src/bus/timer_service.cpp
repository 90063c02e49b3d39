#include "bus/timer_service.hpp"

#include <chrono>
#include <vector>

namespace cim::core {

TimerService::TimerService(Clock& clock, Executor executor) : clock_(clock), executor_(std::move(executor)) {
    clock_listener_ = clock_.on_advance([this] {
        std::lock_guard lock(mutex_);
        wake_.notify_all();
    });
    thread_ = std::thread([this] { run(); });
}

TimerService::~TimerService() {
    stop();
    clock_.remove_listener(clock_listener_);
}

bool TimerService::schedule(std::uint64_t delay_ms, const void* owner, std::uint64_t token, Callback callback) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    const std::int64_t deadline = clock_.now_ms() + static_cast<std::int64_t>(delay_ms);
    timers_.emplace(std::pair{deadline, next_sequence_++}, Timer{owner, token, std::move(callback)});
    wake_.notify_all();
    return true;
}

void TimerService::cancel(const void* owner, std::uint64_t token) {
    std::lock_guard lock(mutex_);
    std::erase_if(timers_, [&](const auto& entry) { return entry.second.owner == owner && entry.second.token == token; });
}

void TimerService::cancel_all(const void* owner) {
    std::lock_guard lock(mutex_);
    std::erase_if(timers_, [&](const auto& entry) { return entry.second.owner == owner; });
}

std::size_t TimerService::pending() const {
    std::lock_guard lock(mutex_);
    return timers_.size();
}

void TimerService::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
        timers_.clear();
        wake_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
}

void TimerService::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (timers_.empty()) {
            wake_.wait(lock);
            continue;
        }
        const std::int64_t now = clock_.now_ms();
        const std::int64_t deadline = timers_.begin()->first.first;
        if (deadline > now) {
            if (clock_.is_manual()) {
                wake_.wait(lock);  // only advance() or a new timer can change anything
            } else {
                wake_.wait_for(lock, std::chrono::milliseconds(deadline - now));
            }
            continue;
        }
        std::vector<Callback> due;
        while (!timers_.empty() && timers_.begin()->first.first <= now) {
            due.push_back(std::move(timers_.begin()->second.callback));
            timers_.erase(timers_.begin());
        }
        lock.unlock();
        for (auto& callback : due) executor_(std::move(callback));
        lock.lock();
    }
}

}  // namespace cim::core
