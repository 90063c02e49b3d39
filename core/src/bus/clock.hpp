// The runtime's notion of time: stamps events and drives timers. Injectable, so tests move time by hand instead of
// sleeping (DESIGN §2, "Timers").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace cim::core {

class Clock {
public:
    virtual ~Clock() = default;
    /// Milliseconds since the Unix epoch. Thread-safe.
    virtual std::int64_t now_ms() const = 0;
    /// True when time moves only by hand (ManualClock): timers then wait for advance() instead of the wall clock.
    virtual bool is_manual() const { return false; }
    /// Calls `listener` whenever a manual clock moves (wall clocks never do) until remove_listener(returned id).
    /// Thread-safe.
    virtual std::uint64_t on_advance(std::function<void()> listener) {
        (void)listener;
        return 0;
    }
    /// Stops calling the listener registered under `id`. Thread-safe.
    virtual void remove_listener(std::uint64_t id) { (void)id; }
};

/// The wall clock.
class SystemClock final : public Clock {
public:
    std::int64_t now_ms() const override;
};

/// Time that moves only when a test says so. Thread-safe.
class ManualClock final : public Clock {
public:
    explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}

    std::int64_t now_ms() const override;
    bool is_manual() const override { return true; }
    std::uint64_t on_advance(std::function<void()> listener) override;
    void remove_listener(std::uint64_t id) override;

    /// Moves time forward by `delta_ms` and wakes whatever waits on this clock (due timers then fire).
    void advance(std::int64_t delta_ms);

private:
    mutable std::mutex mutex_;
    std::int64_t now_ms_;
    std::uint64_t next_listener_id_ = 1;
    std::map<std::uint64_t, std::function<void()>> listeners_;
};

}  // namespace cim::core
