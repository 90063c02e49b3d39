// The event bus (DESIGN §2): validates and stamps what is published, hashes it onto a shard by conversation, and
// delivers it to every consumer the wiring names — in publish order per conversation, in parallel across them.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>  // before any Boost.Asio header: Boost 1.74's awaitable.hpp needs it under C++20
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include "bus/clock.hpp"
#include "bus/endpoint.hpp"
#include "bus/shard.hpp"
#include "bus/timer_service.hpp"
#include "bus/wiring.hpp"
#include "event/catalogue.hpp"
#include "plugin/host_services.hpp"

namespace cim::core {

struct BusOptions {
    std::size_t threads = 2;            ///< worker threads delivering events
    std::size_t shards = 64;            ///< conversation shards; more shards, less head-of-line blocking
    std::size_t shard_capacity = 4096;  ///< events queued or in delivery per shard before publish reports busy
};

/// Bus-wide counters (per-endpoint ones live on each Endpoint). Relaxed atomics: a snapshot, not a transaction.
struct BusMetrics {
    std::uint64_t accepted = 0;          ///< events accepted by publish
    std::uint64_t busy = 0;              ///< publishes refused because a shard was full
    std::uint64_t invalid = 0;           ///< publishes refused as invalid or undeclared
    std::uint64_t deliveries = 0;        ///< successful on_event calls
    std::uint64_t delivery_failures = 0; ///< on_event / on_timer calls that failed or threw
    std::uint64_t in_flight = 0;         ///< accepted events not yet delivered to every consumer
};

class Bus final : public HostServices {
public:
    /// `catalogue` and `clock` must outlive the bus. `logger` receives delivery failures and plugin log lines.
    Bus(const Catalogue& catalogue, Clock& clock, BusOptions options, std::shared_ptr<spdlog::logger> logger);
    /// Stops (draining what was accepted) if still running.
    ~Bus() override;

    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    /// Adds an endpoint to be wired at start(). The endpoint must outlive the bus's stop(). Not thread-safe; only
    /// before start().
    void add_endpoint(Endpoint& endpoint);
    /// Wires the endpoints (throws WiringError) and starts the worker threads. Returns the wiring's warnings.
    const std::vector<std::string>& start();
    /// The wiring built by start().
    const Wiring& wiring() const noexcept { return wiring_; }

    PublishResult publish(const Endpoint* publisher, Event event) override;
    bool schedule_timer(Endpoint& owner, std::uint64_t delay_ms, std::uint64_t token) override;
    void cancel_timer(const Endpoint& owner, std::uint64_t token) override;
    std::int64_t now_ms() const override { return clock_.now_ms(); }
    void log(const Endpoint& source, cim_log_level_t level, std::string_view message) override;

    /// Blocks until every accepted event has been delivered, including events published while draining.
    void drain();
    /// Refuses new events, drains, cancels timers and joins the workers. Idempotent.
    void stop();

    BusMetrics metrics() const;
    const Catalogue& catalogue() const noexcept { return catalogue_; }

private:
    void process(Envelope& envelope);
    Shard& shard_for(std::string_view routing_key);
    void count_failure(Endpoint& endpoint, const std::string& what, const std::string& error);

    const Catalogue& catalogue_;
    Clock& clock_;
    BusOptions options_;
    std::shared_ptr<spdlog::logger> logger_;

    std::vector<Endpoint*> endpoints_;
    Wiring wiring_;

    boost::asio::io_context io_;
    std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::vector<std::thread> workers_;
    TimerService timers_;

    enum class State { created, running, stopping, stopped };
    std::atomic<State> state_{State::created};
    // Accepted but not yet fully delivered, across shards: the one number drain() can trust, because a delivery that
    // publishes increments it before its own event decrements it.
    std::atomic<std::uint64_t> in_flight_{0};
    std::atomic<std::uint64_t> accepted_{0}, busy_{0}, invalid_{0}, deliveries_{0}, delivery_failures_{0};
};

}  // namespace cim::core
