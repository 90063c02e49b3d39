#include "bus/clock.hpp"

#include <chrono>

namespace cim::core {

std::int64_t SystemClock::now_ms() const {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t ManualClock::now_ms() const {
    std::lock_guard lock(mutex_);
    return now_ms_;
}

std::uint64_t ManualClock::on_advance(std::function<void()> listener) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_listener_id_++;
    listeners_.emplace(id, std::move(listener));
    return id;
}

void ManualClock::remove_listener(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    listeners_.erase(id);
}

void ManualClock::advance(std::int64_t delta_ms) {
    std::map<std::uint64_t, std::function<void()>> listeners;
    {
        std::lock_guard lock(mutex_);
        now_ms_ += delta_ms;
        listeners = listeners_;
    }
    for (auto& [id, listener] : listeners) listener();  // outside the lock: a listener reads now_ms()
}

}  // namespace cim::core
