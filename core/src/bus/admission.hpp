// Admission: what happens to an accepted event under its shard's lock, before delivery. The session tracker and the
// journal plug in here (DESIGN §2: track → store → dispatch), so the tracked state, the journal and the delivery
// order of a conversation are one and the same order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "event/event.hpp"

namespace cim::core {

class Endpoint;

/// Queues events for delivery from inside an admission; only valid during the call that received it.
class Admission {
public:
    virtual ~Admission() = default;
    /// Queues `event` for delivery to its consumers, never to `publisher`. With a non-zero `durable_ticket`, the
    /// delivery waits until the shard's journal is durable up to that ticket (Bus::mark_durable): with sync = "full"
    /// no plugin sees an event that a failing disk could still lose.
    virtual void deliver(Event event, const Endpoint* publisher, std::uint64_t durable_ticket = 0) = 0;
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
