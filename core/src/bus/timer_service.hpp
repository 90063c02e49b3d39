// Timers on the runtime's clock: plugin timers (schedule_timer → on_timer) and, later, the session tracker's
// inactivity and SLA timers. One thread waits for the earliest deadline and hands due callbacks to an executor, so no
// callback ever runs on the timer thread itself and a slow callback delays no other timer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "bus/clock.hpp"

namespace cim::core {

class TimerService {
public:
    using Callback = std::function<void()>;
    /// Runs a due callback somewhere else (the bus posts it to its worker pool).
    using Executor = std::function<void(Callback)>;

    TimerService(Clock& clock, Executor executor);
    /// Stops the timer thread; pending timers are dropped (stop() first for an orderly shutdown).
    ~TimerService();

    TimerService(const TimerService&) = delete;
    TimerService& operator=(const TimerService&) = delete;

    /// Schedules `callback` at `delay_ms` from now, filed under (`owner`, `token`) for cancel(). Returns false once
    /// stopped. Thread-safe.
    bool schedule(std::uint64_t delay_ms, const void* owner, std::uint64_t token, Callback callback);
    /// Cancels every pending timer filed under (`owner`, `token`). Thread-safe.
    void cancel(const void* owner, std::uint64_t token);
    /// Cancels every pending timer of `owner`. Thread-safe.
    void cancel_all(const void* owner);
    /// Number of pending timers. Thread-safe.
    std::size_t pending() const;
    /// Refuses new timers, drops pending ones and joins the timer thread. Idempotent.
    void stop();

private:
    struct Timer {
        const void* owner;
        std::uint64_t token;
        Callback callback;
    };
    void run();

    Clock& clock_;
    Executor executor_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    // Ordered by (deadline, sequence): equal deadlines fire in scheduling order.
    std::map<std::pair<std::int64_t, std::uint64_t>, Timer> timers_;
    std::uint64_t next_sequence_ = 0;
    bool stopping_ = false;
    std::uint64_t clock_listener_ = 0;
    std::thread thread_;
};

}  // namespace cim::core
