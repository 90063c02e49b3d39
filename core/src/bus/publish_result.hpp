// The core speaks the embedding API's publish result, plus its mapping to the C ABI's return codes.
#pragma once

#include "cim/abi.h"
#include "cim/runtime/publish_result.hpp"

namespace cim::core {

using runtime::PublishResult;
using runtime::PublishStatus;

/// The ABI return code for a status.
constexpr cim_rc_t to_rc(PublishStatus status) noexcept {
    switch (status) {
        case PublishStatus::accepted: return CIM_OK;
        case PublishStatus::busy: return CIM_BUSY;
        case PublishStatus::invalid: return CIM_INVALID;
        case PublishStatus::not_declared: return CIM_NOT_DECLARED;
        case PublishStatus::stopped: return CIM_STOPPED;
        case PublishStatus::failed: return CIM_ERROR;
    }
    return CIM_ERROR;
}

}  // namespace cim::core
