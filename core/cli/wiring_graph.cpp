#include "wiring_graph.hpp"

#include <algorithm>
#include <set>

namespace cim::cli {
namespace {

constexpr const char* external_node = "external";

bool has_external(const std::vector<WiringEdge>& edges) {
    return std::any_of(edges.begin(), edges.end(), [](const WiringEdge& e) { return e.from == external_node; });
}

// The text of a double-quoted DOT (or Mermaid) string, without the quotes.
std::string escaped(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string quoted(const std::string& text) { return '"' + escaped(text) + '"'; }

// Mermaid node ids must be plain identifiers; plugin names may contain '-'.
std::string mermaid_id(const std::string& name) {
    std::string id = "n_";
    for (char c : name) id += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    return id;
}

}  // namespace

std::vector<WiringEdge> wiring_edges(const std::vector<cim::runtime::PluginInfo>& plugins) {
    std::vector<WiringEdge> edges;
    for (const auto& consumer : plugins) {
        for (const auto& event : consumer.consumes) {
            bool published = false;
            for (const auto& publisher : plugins) {
                if (&publisher == &consumer) continue;  // a plugin never hears its own event back
                if (std::find(publisher.publishes.begin(), publisher.publishes.end(), event) !=
                    publisher.publishes.end()) {
                    edges.push_back({publisher.name, consumer.name, event});
                    published = true;
                }
            }
            if (!published) edges.push_back({external_node, consumer.name, event});
        }
    }
    std::stable_sort(edges.begin(), edges.end(), [](const WiringEdge& a, const WiringEdge& b) {
        return std::tie(a.from, a.to, a.event) < std::tie(b.from, b.to, b.event);
    });
    return edges;
}

std::string to_dot(const std::vector<cim::runtime::PluginInfo>& plugins) {
    const auto edges = wiring_edges(plugins);
    std::string out = "digraph cimrt {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n";
    for (const auto& p : plugins) {
        // DOT reads \n in a label as a line break: escape the name and the version, not the separator between them.
        out += "  " + quoted(p.name) + " [label=\"" + escaped(p.name) + "\\n" + escaped(p.version) + "\"];\n";
    }
    if (has_external(edges)) out += "  " + quoted(external_node) + " [style=dashed, shape=ellipse];\n";
    for (const auto& e : edges) {
        out += "  " + quoted(e.from) + " -> " + quoted(e.to) + " [label=" + quoted(e.event);
        if (e.from == external_node) out += ", style=dashed";
        out += "];\n";
    }
    return out + "}\n";
}

std::string to_mermaid(const std::vector<cim::runtime::PluginInfo>& plugins) {
    const auto edges = wiring_edges(plugins);
    std::string out = "flowchart LR\n";
    for (const auto& p : plugins) out += "  " + mermaid_id(p.name) + "[" + quoted(p.name) + "]\n";
    if (has_external(edges)) out += "  " + mermaid_id(external_node) + "((" + quoted(external_node) + "))\n";
    for (const auto& e : edges) {
        const char* arrow = e.from == external_node ? " -.->|" : " -->|";
        out += "  " + mermaid_id(e.from) + arrow + e.event + "| " + mermaid_id(e.to) + "\n";
    }
    if (has_external(edges)) out += "  style " + mermaid_id(external_node) + " stroke-dasharray: 5 5\n";
    return out;
}

}  // namespace cim::cli
