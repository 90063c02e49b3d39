// Anything the bus wires: a loaded plugin instance, or an in-process handler registered through the embedding API.
// Both obey the same manifest rules; the bus never knows which it is talking to.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "event/event.hpp"
#include "plugin/manifest.hpp"

namespace cim::core {

/// The outcome of one delivery or timer call into an endpoint.
struct DeliveryOutcome {
    bool ok = true;
    std::string error;  ///< why it failed; empty when ok
};

/// Counters the bus keeps per endpoint; readable while the runtime runs (DESIGN §7: metrics are a view of these).
struct EndpointCounters {
    std::atomic<std::uint64_t> delivered{0};        ///< on_event calls that succeeded
    std::atomic<std::uint64_t> failed{0};           ///< on_event or on_timer calls that failed or threw
    std::atomic<std::uint64_t> published{0};        ///< events this endpoint published that were accepted
    std::atomic<std::uint64_t> publish_rejected{0}; ///< publishes refused as invalid, undeclared or busy
    std::atomic<std::uint64_t> slow{0};             ///< deliveries that ran past [runtime] slow_delivery
};

class Endpoint {
public:
    virtual ~Endpoint() = default;

    /// What it publishes and consumes. Stable for the endpoint's lifetime.
    virtual const Manifest& manifest() const = 0;
    /// Hands over one consumed event. Called on a worker thread; never concurrently for one conversation. Must not
    /// throw: failures are reported in the outcome.
    virtual DeliveryOutcome deliver(const Event& event) = 0;
    /// A timer the endpoint scheduled is due. Called on a worker thread. Must not throw.
    virtual DeliveryOutcome fire_timer(std::uint64_t token) = 0;

    const std::string& name() const { return manifest().name; }
    EndpointCounters& counters() noexcept { return counters_; }
    const EndpointCounters& counters() const noexcept { return counters_; }

private:
    EndpointCounters counters_;
};

}  // namespace cim::core
