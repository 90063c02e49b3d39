// cim/error.hpp — the one exception type the C++ SDK throws.
#pragma once

#include <stdexcept>
#include <string_view>

#include "cim/abi.h"

namespace cim {

/**
 * What the SDK throws when something cannot be done: a malformed `data` payload, a host table that lacks a callback,
 * a timer the host refused. Its message names the thing (the event id, the callback) so a log line alone explains it.
 *
 * Plugins may throw it too. A hook that throws anything fails with CIM_ERROR and the message becomes the hook's
 * `last_error`, so there is no need to catch it inside a hook.
 *
 * Thread-safety: an ordinary value type; distinct objects may be used on distinct threads.
 *
 *     if (!config().contains("token")) throw cim::Error("config: 'token' is required");
 */
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/**
 * The name of a `cim_rc_t` ("CIM_OK", "CIM_BUSY", ...), or "CIM_UNKNOWN_RC" for a code this SDK does not know (a
 * newer host may add some). For log lines and messages.
 *
 * Thread-safety: pure function.
 */
[[nodiscard]] constexpr std::string_view rc_name(cim_rc_t code) noexcept {
    switch (code) {
        case CIM_OK: return "CIM_OK";
        case CIM_ERROR: return "CIM_ERROR";
        case CIM_BUSY: return "CIM_BUSY";
        case CIM_INVALID: return "CIM_INVALID";
        case CIM_NOT_DECLARED: return "CIM_NOT_DECLARED";
        case CIM_STOPPED: return "CIM_STOPPED";
        case CIM_NOT_FOUND: return "CIM_NOT_FOUND";
        default: return "CIM_UNKNOWN_RC";
    }
}

}  // namespace cim
