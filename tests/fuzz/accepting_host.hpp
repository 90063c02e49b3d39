// The host table a harness hands to a plugin's handler (CustomerIngest, ConnectorApi, WebChat) so it runs in-process
// without a runtime: publish accepts every event, as a runtime with room does, after checking what the runtime would
// reject outright (no name, a payload that is not JSON) — a plugin publishing such an event from untrusted input is a
// bug the harness must report. Timers, logs and queries do nothing.
#pragma once

#include <cstddef>

#include <cim/abi.h>

namespace cim::fuzz {

class AcceptingHost {
public:
    AcceptingHost();
    AcceptingHost(const AcceptingHost&) = delete;
    AcceptingHost& operator=(const AcceptingHost&) = delete;

    /// The table to wrap in cim::Host; valid while this object lives.
    const cim_host_t* table() const { return &table_; }
    /// How many events were published.
    std::size_t published() const { return published_; }

private:
    static cim_rc_t publish(cim_host_ctx_t* ctx, const cim_event_t* event);

    cim_host_t table_{};
    std::size_t published_ = 0;
};

}  // namespace cim::fuzz
