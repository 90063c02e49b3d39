#include "bus/delivery_watch.hpp"

#include <algorithm>
#include <cstdio>

#include "bus/endpoint.hpp"

namespace cim::core {
namespace {

enum : std::uint32_t { idle = 0, busy = 1, claimed = 2, reported = 3 };

}  // namespace

std::string describe_duration(std::chrono::steady_clock::duration d) {
    const double ms = std::chrono::duration<double, std::milli>(d).count();
    char text[32];
    if (ms < 1000) {
        std::snprintf(text, sizeof text, "%.0f ms", ms);
    } else {
        std::snprintf(text, sizeof text, "%.1f s", ms / 1000);
    }
    return text;
}

DeliveryWatch::Scope::Scope(DeliveryWatch& watch, Slot* slot, Endpoint& endpoint, const Event* event,
                            std::uint64_t token)
    : watch_(watch), slot_(slot) {
    if (slot_ == nullptr) return;  // not on a worker (a test calling the bus directly): nothing to watch
    slot_->endpoint = &endpoint;
    slot_->event = event;
    slot_->timer_token = token;
    slot_->started = std::chrono::steady_clock::now();
    slot_->state.store(busy, std::memory_order_release);
}

DeliveryWatch::Scope::~Scope() {
    if (slot_ == nullptr) return;
    for (;;) {
        std::uint32_t state = slot_->state.load(std::memory_order_acquire);
        if (state == claimed) {  // the watch is reading this slot right now: the event must stay alive until it is done
            std::this_thread::yield();
            continue;
        }
        if (!slot_->state.compare_exchange_weak(state, idle, std::memory_order_acq_rel)) continue;
        if (state == reported && watch_.logger_) {
            const std::string what = slot_->event != nullptr ? slot_->event->name + " " + slot_->event->id
                                                             : "timer " + std::to_string(slot_->timer_token);
            watch_.logger_->warn("plugin '{}' finished {} after {}", slot_->endpoint->name(), what,
                                 describe_duration(std::chrono::steady_clock::now() - slot_->started));
        }
        return;
    }
}

DeliveryWatch::DeliveryWatch(std::size_t workers, std::chrono::milliseconds limit,
                             std::shared_ptr<spdlog::logger> logger)
    : slots_(workers), limit_(limit), logger_(std::move(logger)) {}

DeliveryWatch::~DeliveryWatch() { stop(); }

void DeliveryWatch::start() {
    if (limit_.count() <= 0 || thread_.joinable()) return;
    thread_ = std::thread([this] { watch_loop(); });
}

void DeliveryWatch::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void DeliveryWatch::watch_loop() {
    // A few looks per limit: a stuck delivery is named within a quarter of the limit after it crosses it.
    const auto period = std::clamp<std::chrono::milliseconds>(limit_ / 4, std::chrono::milliseconds(10),
                                                              std::chrono::milliseconds(1000));
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, period, [&] { return stopping_; })) {
        for (Slot& slot : slots_) inspect(slot, limit_, /*report=*/true);
    }
}

std::string DeliveryWatch::inspect(Slot& slot, std::chrono::milliseconds at_least, bool report) {
    std::uint32_t state = slot.state.load(std::memory_order_acquire);
    if (state != busy && state != reported) return {};
    if (!slot.state.compare_exchange_strong(state, claimed, std::memory_order_acq_rel)) return {};
    const auto elapsed = std::chrono::steady_clock::now() - slot.started;
    std::string description;
    bool newly_slow = false;
    if (elapsed >= at_least) {
        const char* hook = slot.event != nullptr ? "on_event of " : "on_timer, ";
        const std::string what = slot.event != nullptr ? slot.event->name + " " + slot.event->id
                                                       : "token " + std::to_string(slot.timer_token);
        description = "plugin '" + slot.endpoint->name() + "' has been in " + hook + what + " for " +
                      describe_duration(elapsed);
        newly_slow = report && state == busy;
    }
    if (newly_slow) {
        slow_.fetch_add(1, std::memory_order_relaxed);
        slot.endpoint->counters().slow.add();
        if (logger_) {
            logger_->warn("{} (runtime.slow_delivery = {} ms); its worker is blocked, and so are the conversations "
                          "of its shard",
                          description, limit_.count());
        }
    }
    slot.state.store(newly_slow || state == reported ? reported : busy, std::memory_order_release);
    return description;
}

std::vector<std::string> DeliveryWatch::running(std::chrono::milliseconds at_least) {
    std::vector<std::string> out;
    for (Slot& slot : slots_) {
        std::string description = inspect(slot, at_least, /*report=*/false);
        if (!description.empty()) out.push_back(std::move(description));
    }
    return out;
}

}  // namespace cim::core
