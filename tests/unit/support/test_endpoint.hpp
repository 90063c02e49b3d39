// An in-process endpoint for bus tests: declares what it publishes and consumes, records what it receives, and
// runs an optional hook on every delivery (to block, throw or publish).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bus/endpoint.hpp"

namespace cim::test {

class TestEndpoint : public core::Endpoint {
public:
    using Hook = std::function<core::DeliveryOutcome(const core::Event&)>;

    TestEndpoint(std::string name, std::vector<std::string> publishes, std::vector<std::string> consumes,
                 Hook hook = {})
        : hook_(std::move(hook)) {
        manifest_.name = std::move(name);
        manifest_.version = "0.0.1";
        manifest_.publishes = std::move(publishes);
        manifest_.consumes = std::move(consumes);
    }

    const core::Manifest& manifest() const override { return manifest_; }

    core::DeliveryOutcome deliver_(const core::Event& event) override {
        core::DeliveryOutcome outcome = hook_ ? hook_(event) : core::DeliveryOutcome{};
        std::lock_guard lock(mutex_);
        received_.push_back(event);
        changed_.notify_all();
        return outcome;
    }

    core::DeliveryOutcome fire_timer_(std::uint64_t token) override {
        std::lock_guard lock(mutex_);
        timers_.push_back(token);
        changed_.notify_all();
        return timer_outcome_;
    }

    std::vector<core::Event> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }
    std::vector<std::uint64_t> timers() const {
        std::lock_guard lock(mutex_);
        return timers_;
    }
    void fail_timers(std::string why) { timer_outcome_ = {false, std::move(why)}; }

    /// Waits up to `timeout` until `count` events arrived; returns whether they did.
    bool wait_for_events(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
    }
    /// Waits up to `timeout` until `count` timers fired; returns whether they did.
    bool wait_for_timers(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return timers_.size() >= count; });
    }

private:
    core::Manifest manifest_;
    Hook hook_;
    core::DeliveryOutcome timer_outcome_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<core::Event> received_;
    std::vector<std::uint64_t> timers_;
};

/// A CUSTOMER_MESSAGE of `conversation` with the given id (the minimum the catalogue accepts).
inline core::Event customer_message(std::string conversation, std::string id = {}) {
    core::Event e;
    e.id = std::move(id);
    e.name = "CUSTOMER_MESSAGE";
    e.conversation_id = std::move(conversation);
    e.customer_id = "customer-1";
    e.emitter = {"customer-1", core::EmitterType::customer, "Ann"};
    e.data = R"({"body":{"type":"PLAIN","markdownText":"hi"}})";
    return e;
}

}  // namespace cim::test
