// Watches what every worker is delivering, so a plugin that blocks in on_event or on_timer is named — with the event
// and how long — instead of silently holding a worker (and, at stop, the whole runtime).
//
// Each worker owns a slot it writes at the start and end of every delivery (a few atomic stores, no lock). A watch
// thread looks at the slots a few times per limit; it reads a busy slot only after claiming it with a compare-and-swap,
// and a worker that finishes while its slot is claimed waits for the watch to let go, so the event the slot points to
// is alive whenever it is read.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "event/event.hpp"

namespace cim::core {

class Endpoint;

class DeliveryWatch {
public:
    /// One worker's current delivery. Written only by its worker, read by the watch under the claim protocol.
    struct Slot {
        std::atomic<std::uint32_t> state{0};  // idle, busy, claimed (being read), reported (busy, already logged)
        Endpoint* endpoint = nullptr;
        const Event* event = nullptr;         // nullptr for a timer
        std::uint64_t timer_token = 0;
        std::chrono::steady_clock::time_point started;
    };

    /// Marks its slot busy for the length of one delivery. Cheap: one clock read and two atomic operations.
    class Scope {
    public:
        Scope(DeliveryWatch& watch, Slot* slot, Endpoint& endpoint, const Event* event, std::uint64_t token);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        DeliveryWatch& watch_;
        Slot* slot_;
    };

    /// `limit`: a delivery running longer is logged and counted (0 disables the watch thread, not the slots).
    DeliveryWatch(std::size_t workers, std::chrono::milliseconds limit, std::shared_ptr<spdlog::logger> logger);
    ~DeliveryWatch();
    DeliveryWatch(const DeliveryWatch&) = delete;
    DeliveryWatch& operator=(const DeliveryWatch&) = delete;

    /// Worker `index`'s slot.
    Slot* slot(std::size_t index) { return &slots_[index]; }
    /// Starts the watch thread.
    void start();
    /// Stops the watch thread. Idempotent.
    void stop();
    /// Every delivery running now, longest first: "plugin 'x' has been in on_event of NAME id for 12.0 s".
    std::vector<std::string> running(std::chrono::milliseconds at_least = std::chrono::milliseconds(0));
    /// Deliveries that ran past the limit so far.
    std::uint64_t slow_deliveries() const noexcept { return slow_.load(std::memory_order_relaxed); }

private:
    void watch_loop();
    // Claims a busy slot, describes it, lets it go. Empty when the slot is idle or was shorter than `at_least`.
    std::string inspect(Slot& slot, std::chrono::milliseconds at_least, bool report);

    std::vector<Slot> slots_;
    std::chrono::milliseconds limit_;
    std::shared_ptr<spdlog::logger> logger_;
    std::atomic<std::uint64_t> slow_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

/// "12.3 s" / "450 ms": how long, for operators.
std::string describe_duration(std::chrono::steady_clock::duration d);

}  // namespace cim::core
