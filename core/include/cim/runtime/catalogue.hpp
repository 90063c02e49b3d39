// The event catalogue as the embedding API shows it: what `cimrt events` prints.
#pragma once

#include <string>
#include <vector>

namespace cim::runtime {

/// One catalogue entry.
struct EventInfo {
    std::string name;                   ///< canonical name, e.g. "CUSTOMER_MESSAGE", or a custom "vendor.NAME"
    std::string type;                   ///< "ACTIVITY", "SUGGESTION", "MESSAGE", "NOTIFICATION" or "CALL"
    std::string description;            ///< one line
    std::vector<std::string> aliases;   ///< other names accepted on ingest, e.g. "TOPIC_STATE_CHANGE_EVENT"
    std::string defined_by;             ///< the plugin that declared a custom event; empty for built-ins
};

/// The built-in CIM events (DESIGN §1), in catalogue order. Thread-safe.
std::vector<EventInfo> builtin_events();

}  // namespace cim::runtime
