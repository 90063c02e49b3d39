// In-process handlers: code of the embedding product that joins the bus like a plugin, under the same manifest rules
// (it consumes what it declares and may publish only what it declares), without being a shared object.
#pragma once

#include <chrono>
#include <cstdint>

#include "cim/event.hpp"
#include "cim/manifest.hpp"
#include "cim/outgoing_event.hpp"
#include "cim/runtime/publish_result.hpp"

namespace cim::core {
class HandlerEndpoint;
}

namespace cim::runtime {

/// Base class of an in-process handler. Register it with Runtime::add_handler before start().
///
/// Threading is the plugin contract: on_event and on_timer run on worker threads, concurrently for different
/// conversations, never concurrently for one conversation. Throwing from a hook fails that delivery only.
///
///     class Auditor : public cim::runtime::Handler {
///         cim::Manifest manifest() const override { return {"auditor", "1.0", "", {}, {"CUSTOMER_MESSAGE"}, {}, {}}; }
///         void on_event(const cim::Event& e) override { audit_log << e.id() << '\n'; }
///     };
class Handler {
public:
    virtual ~Handler() = default;

    /// What the handler publishes and consumes; read once, at add_handler().
    virtual cim::Manifest manifest() const = 0;
    /// A consumed event. The view is valid only during the call.
    virtual void on_event(const cim::Event& event) { (void)event; }
    /// A timer scheduled with schedule() is due.
    virtual void on_timer(std::uint64_t token) { (void)token; }

protected:
    /// Publishes on this handler's behalf (checked against its manifest). Thread-safe; valid while the runtime runs.
    PublishResult publish(const cim::OutgoingEvent& event);
    /// Asks for on_timer(token) after `delay` of the runtime's clock. Returns false when the runtime is stopping.
    bool schedule(std::chrono::milliseconds delay, std::uint64_t token);
    /// Cancels pending timers with `token`.
    void cancel(std::uint64_t token);

private:
    friend class core::HandlerEndpoint;
    class Link;             // the runtime's side of the connection; set while the handler is registered
    Link* link_ = nullptr;
};

}  // namespace cim::runtime
