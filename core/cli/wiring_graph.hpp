// The wiring as a graph: plugins are nodes, each event gets one edge from each publisher to each consumer.
// Events someone consumes but no plugin publishes come from a dashed "external" node (the runtime itself, `cimrt
// publish`, or an embedding product).
#pragma once

#include <string>
#include <vector>

#include "cim/runtime/runtime.hpp"

namespace cim::cli {

struct WiringEdge {
    std::string from;   ///< a plugin name, or "external"
    std::string to;     ///< a plugin name
    std::string event;
};

/// Every edge of the wiring of `plugins`, in plugin then event order.
std::vector<WiringEdge> wiring_edges(const std::vector<cim::runtime::PluginInfo>& plugins);

/// Graphviz DOT text of the wiring.
std::string to_dot(const std::vector<cim::runtime::PluginInfo>& plugins);
/// Mermaid flowchart text of the wiring.
std::string to_mermaid(const std::vector<cim::runtime::PluginInfo>& plugins);

}  // namespace cim::cli
