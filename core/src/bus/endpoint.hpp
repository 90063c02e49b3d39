// Anything the bus wires: a loaded plugin instance, or an in-process handler registered through the embedding API.
// Both obey the same manifest rules; the bus never knows which it is talking to.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "bus/striped_counter.hpp"
#include "event/event.hpp"
#include "plugin/manifest.hpp"

namespace cim::core {

/// The outcome of one delivery or timer call into an endpoint.
struct DeliveryOutcome {
    bool ok = true;
    std::string error;  ///< why it failed; empty when ok
};

/// Counters the bus keeps per endpoint; readable while the runtime runs (DESIGN §7: metrics are a view of these).
/// Striped per thread: every worker counts each delivery here, and must not fight the others for one cache line.
struct EndpointCounters {
    StripedCounter delivered;        ///< on_event calls that succeeded
    StripedCounter failed;           ///< on_event or on_timer calls that failed or threw
    StripedCounter published;        ///< events this endpoint published that were accepted
    StripedCounter publish_rejected; ///< publishes refused as invalid, undeclared or busy
    StripedCounter slow;             ///< deliveries that ran past [runtime] slow_delivery
    StripedCounter delivery_ns;      ///< time spent in on_event, nanoseconds (two clock reads per delivery)
};

/// The template method (as spdlog's base_sink::log → sink_it_): the bus calls the non-virtual deliver() and
/// fire_timer(), which never throw and count the outcome; an endpoint implements deliver_() and fire_timer_(), which
/// may throw — an exception becomes a failed outcome naming it.
class Endpoint {
public:
    virtual ~Endpoint() = default;

    /// What it publishes and consumes. Stable for the endpoint's lifetime.
    virtual const Manifest& manifest() const = 0;
    /// Hands over one consumed event and counts the outcome (`delivered` or `failed`). Called on a worker thread;
    /// never concurrently for one conversation. Never throws.
    DeliveryOutcome deliver(const Event& event) noexcept;
    /// A timer the endpoint scheduled is due; a failure is counted. Called on a worker thread. Never throws.
    DeliveryOutcome fire_timer(std::uint64_t token) noexcept;

    const std::string& name() const { return manifest().name; }
    /// The endpoint's counters. Atomics that are not part of its state, so a const endpoint (a publisher the bus
    /// holds by const pointer) still counts.
    EndpointCounters& counters() const noexcept { return counters_; }

protected:
    /// The delivery itself. May throw; the outcome's error says why it failed.
    virtual DeliveryOutcome deliver_(const Event& event) = 0;
    /// The timer itself. May throw.
    virtual DeliveryOutcome fire_timer_(std::uint64_t token) = 0;

private:
    mutable EndpointCounters counters_;
};

}  // namespace cim::core
