// Wiring: from the endpoints' manifests to the tables the bus routes with (DESIGN §2). Built once at start; the
// routing path then only indexes vectors by EventKindId.
#pragma once

#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "bus/endpoint.hpp"
#include "event/catalogue.hpp"

namespace cim::core {

/// The manifests cannot be wired; the message names the plugin and the event (or both plugins of a name clash).
struct WiringError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Wiring {
    /// consumers[kind]: who receives events of that kind, in registration order.
    std::vector<std::vector<Endpoint*>> consumers;
    /// may_publish[endpoint][kind]: what each endpoint declared under `publishes`.
    std::unordered_map<const Endpoint*, std::vector<bool>> may_publish;
    /// Suspicious but legal wiring: an event consumed that nobody publishes, or published that nobody consumes.
    std::vector<std::string> warnings;
};

/// Builds the wiring, or throws WiringError for: an empty or duplicate plugin name, an event name the catalogue does
/// not know in `publishes` or `consumes`. Custom events must already be registered in `catalogue`.
/// `runtime_publishes` names the events the runtime emits itself (session tracking): consuming them is no warning.
Wiring build_wiring(const Catalogue& catalogue, const std::vector<Endpoint*>& endpoints,
                    const std::vector<std::string>& runtime_publishes = {});

}  // namespace cim::core
