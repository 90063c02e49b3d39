#include "bus/wiring.hpp"

#include <algorithm>
#include <set>

namespace cim::core {
namespace {

EventKindId resolve(const Catalogue& catalogue, const Endpoint& endpoint, const std::string& event, const char* list) {
    const EventKind* kind = catalogue.find(event);
    if (kind == nullptr) {
        throw WiringError("plugin '" + endpoint.name() + "' " + list + " unknown event '" + event + "'");
    }
    return kind->id;
}

}  // namespace

Wiring build_wiring(const Catalogue& catalogue, const std::vector<Endpoint*>& endpoints,
                    const std::vector<std::string>& runtime_publishes) {
    Wiring wiring;
    wiring.consumers.resize(catalogue.size());
    std::vector<bool> published(catalogue.size(), false);          // by a plugin
    std::vector<bool> runtime_published(catalogue.size(), false);  // by the runtime itself: nobody must consume it
    for (const std::string& event : runtime_publishes) {
        if (const EventKind* kind = catalogue.find(event)) runtime_published[kind->id] = true;
    }
    std::set<std::string> names;

    for (Endpoint* endpoint : endpoints) {
        const Manifest& manifest = endpoint->manifest();
        if (manifest.name.empty()) throw WiringError("a plugin has an empty name");
        if (!names.insert(manifest.name).second) {
            throw WiringError("two plugins are named '" + manifest.name + "'; plugin names must be unique");
        }
        std::vector<bool>& may_publish = wiring.may_publish[endpoint];
        may_publish.assign(catalogue.size(), false);
        for (const std::string& event : manifest.publishes) {
            const EventKindId kind = resolve(catalogue, *endpoint, event, "publishes");
            may_publish[kind] = true;
            published[kind] = true;
        }
        for (const std::string& event : manifest.consumes) {
            const EventKindId kind = resolve(catalogue, *endpoint, event, "consumes");
            auto& consumers = wiring.consumers[kind];
            if (std::find(consumers.begin(), consumers.end(), endpoint) == consumers.end()) {
                consumers.push_back(endpoint);
            }
        }
    }

    for (EventKindId kind = 0; kind < catalogue.size(); ++kind) {
        const std::string& event = catalogue.at(kind).name;
        const auto& consumers = wiring.consumers[kind];
        if (!consumers.empty() && !published[kind] && !runtime_published[kind]) {
            std::string who;
            for (const Endpoint* consumer : consumers) who += (who.empty() ? "'" : ", '") + consumer->name() + "'";
            wiring.warnings.push_back(event + " is consumed by " + who +
                                      " but no plugin publishes it (only an external source can: cimrt publish, an embedding product)");
        }
        // A plugin's own custom event that nobody consumes is a record it keeps for the journal and outside readers
        // (cimrt journal, reports, an embedder), as the agent plugin's cimrt.AGENT_STATE_CHANGED: not a miswiring.
        // A built-in event published into the void still is, and is named.
        const std::string& declarer = catalogue.at(kind).defined_by;
        const bool own_record = !declarer.empty() && std::all_of(endpoints.begin(), endpoints.end(), [&](Endpoint* e) {
            return !wiring.may_publish[e][kind] || e->manifest().name == declarer;
        });
        if (consumers.empty() && published[kind] && !own_record) {
            std::string who;
            for (const Endpoint* endpoint : endpoints) {
                if (wiring.may_publish[endpoint][kind]) who += (who.empty() ? "'" : ", '") + endpoint->name() + "'";
            }
            wiring.warnings.push_back(event + " is published by " + who + " but no plugin consumes it");
        }
    }
    return wiring;
}

}  // namespace cim::core
