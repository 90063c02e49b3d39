// Admission: what happens to an accepted event under its shard's lock, before delivery. The session tracker and the
// journal plug in here (DESIGN §2: track → store → dispatch), so the tracked state, the journal and the delivery
// order of a conversation are one and the same order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "event/event.hpp"

namespace cim::core {

class Endpoint;
class TimerService;

/// Queues events for delivery from inside an admission; only valid during the call that received it.
class Admission {
public:
    virtual ~Admission() = default;
    /// Queues `event` for delivery to its consumers, never to `publisher`. With a non-zero `durable_ticket`, the
    /// delivery waits until the shard's journal is durable up to that ticket (Bus::mark_durable): with sync = "full"
    /// no plugin sees an event that a failing disk could still lose. The event is shared, not copied: the journal's
    /// buffer and every consumer read the same object.
    virtual void deliver(EventPtr event, const Endpoint* publisher, std::uint64_t durable_ticket = 0) = 0;
};

/// What an admission stage may ask of the bus that runs it, outside an admission of its own: to run work under a
/// shard's lock (its timers, its snapshots, its queries), where a routing key belongs, the clock and the timers. The
/// stage holds this, not the Bus: it sees the shards, never the wiring, the endpoints or the publish path.
class ShardAccess {
public:
    virtual ~ShardAccess() = default;
    /// Runs `work` under shard `shard`'s lock whatever its depth: what the stage queues there (expiry) is never
    /// refused as busy. Thread-safe; never from inside an admission of the same shard.
    virtual void run_on_shard(std::size_t shard, const std::function<void(Admission&)>& work) = 0;
    /// The shard events with this routing key are admitted on.
    virtual std::size_t shard_of(std::string_view routing_key) const noexcept = 0;
    virtual std::size_t shard_count() const noexcept = 0;
    /// The bus's clock, ms since the Unix epoch.
    virtual std::int64_t now_ms() const = 0;
    /// Timers on the bus's clock; their callbacks run on the worker pool.
    virtual TimerService& timers() noexcept = 0;
};

/// What admission decided.
enum class AdmissionVerdict {
    admitted,   ///< tracked, journaled, queued
    duplicate,  ///< already applied before: accepted, but neither tracked, journaled nor delivered again
    busy,       ///< refused before anything was tracked: back-pressure (the store's backlog is full)
    failed,     ///< refused before anything was tracked: the store cannot write
};

/// What admitting one event produced.
struct AdmissionResult {
    AdmissionVerdict verdict = AdmissionVerdict::admitted;
    std::uint64_t ticket = 0;  ///< journal ticket to wait for before acknowledging (0 = nothing to wait for)
    std::string error;         ///< why it was refused (busy, failed)
};

/// The work done for each accepted event under its shard's lock. Implementations need no locking of their own for
/// per-shard state: the shard serialises calls with the same `shard`.
class AdmissionStage {
public:
    virtual ~AdmissionStage() = default;
    /// Applies `event` (validated and stamped) and queues what must be delivered through `admission`.
    virtual AdmissionResult admit(std::size_t shard, Event event, const Endpoint* publisher, Admission& admission) = 0;
    /// Blocks until `ticket` of `shard` is as durable as the store promises; returns at once when the store does not
    /// acknowledge after durability.
    virtual void wait_durable(std::size_t shard, std::uint64_t ticket) = 0;
    /// wait_durable without the wait: `done` is called once with an empty error when `ticket` is durable, with the
    /// store's failure otherwise (Store::when_durable says on which thread).
    virtual void when_durable(std::size_t shard, std::uint64_t ticket, std::function<void(const std::string&)> done) = 0;
    /// Why a blocking publish on this thread must be refused before admission (its durability wait would be for a
    /// commit only this thread can make: a publish_async completion with sync = "full"); empty when it need not be.
    virtual std::string blocking_publish_refusal() const { return {}; }
};

}  // namespace cim::core
