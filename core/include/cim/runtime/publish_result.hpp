// What publishing an event returned, for embedders and in-process handlers.
#pragma once

#include <string>

namespace cim::runtime {

/// The outcome class of a publish.
enum class PublishStatus {
    accepted,      ///< validated, stamped and queued: it will be tracked, stored and delivered
    busy,          ///< the conversation's shard is full; nothing was accepted (back-pressure: retry later)
    invalid,       ///< the event broke a rule; `error` names the field and the rule
    not_declared,  ///< the publisher's manifest does not list the event under `publishes`
    stopped,       ///< the runtime is not started, or is stopped
    failed,        ///< the runtime could not make the event durable (the store failed); `error` says why
};

/// The result of a publish. Cheap to copy.
struct PublishResult {
    PublishStatus status = PublishStatus::accepted;
    std::string error;     ///< why it was not accepted; empty when accepted
    std::string event_id;  ///< the accepted event's id: the one given, or the one the runtime stamped. A repeated id
                           ///< is accepted too, but applied only once (DESIGN §1: a duplicate, not a new event)

    /// True when the event was accepted.
    bool accepted() const noexcept { return status == PublishStatus::accepted; }
};

}  // namespace cim::runtime
