// An agent's status as they choose it on the desk (READY, BUSY, AWAY) and the missed offers that set them AWAY on
// their behalf. Pure bookkeeping for the task machine: no I/O, no clock, no lock (the plugin holds one).
//
// Only a READY agent is offered conversations. BUSY and AWAY both stop new offers and keep what the agent already has
// (owned conversations, a pending offer); BUSY says "at work, not taking more", AWAY "not at the desk". Being at
// capacity is not a status: it is load, which routing already respects, and it changes with every conversation.
// Being logged in or not is presence, kept beside it: the chosen status outlives a logout (a reloaded desk comes back
// as it was), not a restart of the runtime (nothing of an agent is persisted, README "State").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cim::agent {

enum class AgentStatus { ready, busy, away };

/// "READY", "BUSY", "AWAY".
const char* to_string(AgentStatus status);
/// The inverse of to_string; nullopt for anything else (the desk's frame is untrusted).
std::optional<AgentStatus> agent_status_from_string(std::string_view text);

/// Thread-safety: none; one caller at a time.
class AgentStatuses {
public:
    /// `away_after_missed`: offers let time out in a row that set an agent AWAY; 0 = never.
    explicit AgentStatuses(int away_after_missed) : away_after_missed_(away_after_missed) {}

    /// READY until the agent chooses otherwise.
    AgentStatus of(const std::string& agent_id) const;
    /// The agent chose `status`; the count of missed offers starts again. @returns whether the status changed.
    bool choose(const std::string& agent_id, AgentStatus status);
    /// An offer to the agent timed out. @returns true when this one made them AWAY (the N-th in a row while READY).
    bool missed(const std::string& agent_id);
    /// The agent accepted or declined an offer: they are at the desk, the count starts again.
    void answered(const std::string& agent_id) { agents_[agent_id].missed = 0; }
    /// Offers the agent let time out in a row.
    int missed_in_a_row(const std::string& agent_id) const;

private:
    struct State {
        AgentStatus status = AgentStatus::ready;
        int missed = 0;
    };
    int away_after_missed_;
    std::unordered_map<std::string, State> agents_;
};

}  // namespace cim::agent
