// What a publish returned: the contract behind cim_host_t::publish and the embedding API's publish.
#pragma once

#include <string>

#include "cim/abi.h"

namespace cim::core {

enum class PublishStatus {
    accepted,      ///< validated, stamped and queued: it will be tracked, stored and delivered
    busy,          ///< the conversation's shard is full; nothing was accepted (back-pressure, never a silent drop)
    invalid,       ///< the event broke a rule; `error` names the field and the rule
    not_declared,  ///< the publisher's manifest does not list the event under `publishes`
    stopped,       ///< the runtime is stopping or not started
};

struct PublishResult {
    PublishStatus status = PublishStatus::accepted;
    std::string error;     ///< empty when accepted
    std::string event_id;  ///< the accepted event's id (the one given, or the one the runtime stamped)

    bool accepted() const noexcept { return status == PublishStatus::accepted; }
};

/// The ABI return code for a status.
constexpr cim_rc_t to_rc(PublishStatus status) noexcept {
    switch (status) {
        case PublishStatus::accepted: return CIM_OK;
        case PublishStatus::busy: return CIM_BUSY;
        case PublishStatus::invalid: return CIM_INVALID;
        case PublishStatus::not_declared: return CIM_NOT_DECLARED;
        case PublishStatus::stopped: return CIM_STOPPED;
    }
    return CIM_ERROR;
}

}  // namespace cim::core
