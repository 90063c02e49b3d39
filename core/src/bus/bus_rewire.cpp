// Hot reload's side of the bus: swapping the wired endpoints while events flow.
//
// The routing path reads the wiring without a lock, so a swap must never happen under a delivery. Rather than make
// every delivery pay for a reader count, a reload parks the whole worker pool for the length of the swap: one handler
// per worker is posted, each blocks its thread until the pause ends, and only once all have arrived is the wiring
// replaced and the dropped endpoints' timers disarmed. Events published meanwhile queue on their shards as usual and
// are delivered, by the new wiring, once the workers resume: nothing is refused, nothing is lost.
#include <condition_variable>
#include <set>
#include <utility>  // before any Boost.Asio header: Boost 1.74's awaitable.hpp needs it under C++20

#include <boost/asio/post.hpp>

#include "bus/bus.hpp"

namespace cim::core {

struct WorkerPause::Gate {
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t parked = 0;
    bool open = false;  // resumed, or given up on: parked workers go, late ones do not stop
};

WorkerPause::~WorkerPause() {
    std::lock_guard lock(gate_->mutex);
    gate_->open = true;
    gate_->changed.notify_all();
}

std::unique_ptr<WorkerPause> Bus::pause_workers(std::chrono::milliseconds limit) {
    if (state_.load() != State::running) throw BusBusyError("the bus is not running");
    if (on_worker_thread()) throw BusBusyError("the workers cannot be paused from a delivery or a timer");
    auto gate = std::make_shared<WorkerPause::Gate>();
    auto pause = std::make_unique<WorkerPause>(gate);  // from here on, any exit resumes the workers
    const std::size_t workers = workers_.size();
    for (std::size_t i = 0; i < workers; ++i) {
        boost::asio::post(io_, [gate] {
            std::unique_lock lock(gate->mutex);
            if (gate->open) return;
            ++gate->parked;
            gate->changed.notify_all();
            gate->changed.wait(lock, [&] { return gate->open; });
        });
    }
    std::unique_lock lock(gate->mutex);
    if (!gate->changed.wait_for(lock, limit, [&] { return gate->parked == workers; })) {
        lock.unlock();
        std::string holding;
        for (const std::string& what : watch_.running()) holding += (holding.empty() ? "" : "; ") + what;
        throw BusBusyError("the workers could not be paused within " + std::to_string(limit.count()) +
                           " ms: " + (holding.empty() ? "they are busy" : holding));
    }
    return pause;
}

bool Bus::timer_owner_live(const Endpoint* owner, std::uint64_t serial) const {
    std::lock_guard lock(live_mutex_);
    const auto it = live_.find(owner);
    return it != live_.end() && it->second == serial;
}

std::vector<std::string> Bus::rewire(const WorkerPause& /*pause*/, std::vector<Endpoint*> endpoints) {
    auto next = std::make_unique<const Wiring>(build_wiring(catalogue_, endpoints, runtime_publishes_));
    const std::set<const Endpoint*> kept(endpoints.begin(), endpoints.end());
    wiring_.store(next.get(), std::memory_order_release);
    {
        std::lock_guard lock(live_mutex_);
        for (const Endpoint* endpoint : endpoints_) {
            if (kept.count(endpoint) != 0) continue;
            live_.erase(endpoint);
            timers_.cancel_all(endpoint);  // the pending ones; those already due find their owner gone
        }
        for (const Endpoint* endpoint : endpoints) {
            if (live_.count(endpoint) == 0) live_[endpoint] = next_serial_++;
        }
    }
    endpoints_ = std::move(endpoints);
    wirings_.push_back(std::move(next));
    return wirings_.back()->warnings;
}

}  // namespace cim::core
