// How each effect of the task machine is carried out against the runtime and the desks: publish, schedule or
// cancel a timer, write the persisted state, send a frame (with the conversation's transcript, queried here, when
// the frame carries one). Called by the plugin outside its lock, one effect at a time, in the machine's order.
#pragma once

#include <functional>
#include <vector>

#include <cim/host.hpp>

#include "plugin_common/http_server.hpp"
#include "task_machine.hpp"
#include "task_persistence.hpp"

namespace cim::agent {

class EffectRunner {
public:
    /// Hears the outcome of a publish the machine is waiting for (to step the machine with it).
    using Outcome = std::function<void(const PendingPublish&, const PublishOutcome&)>;

    /// Timers are the runtime's persistent ones (schedule_at) when the host keeps plugin state (ABI 1.2).
    EffectRunner(const cim::Host& host, TaskPersistence& persistence)
        : host_(host), persistence_(persistence), persistent_timers_(host.has_state()) {}

    /// Carries out `effect`; a SendToDesk or Reply goes to `to` (resolved when the step was taken). Host errors
    /// propagate (the plugin logs them and runs the next effect).
    void run(Effect& effect, const std::vector<web::ConnectionPtr>& to, const Outcome& outcome) const;

private:
    void send(const std::vector<web::ConnectionPtr>& to, nlohmann::json& frame, const std::string& transcript_of) const;
    nlohmann::json transcript(const std::string& conversation_id) const;

    const cim::Host& host_;
    TaskPersistence& persistence_;
    bool persistent_timers_;
};

}  // namespace cim::agent
