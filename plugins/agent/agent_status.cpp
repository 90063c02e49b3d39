#include "agent_status.hpp"

namespace cim::agent {

const char* to_string(AgentStatus status) {
    switch (status) {
        case AgentStatus::ready: return "READY";
        case AgentStatus::busy: return "BUSY";
        case AgentStatus::away: return "AWAY";
    }
    return "UNKNOWN";
}

std::optional<AgentStatus> agent_status_from_string(std::string_view text) {
    if (text == "READY") return AgentStatus::ready;
    if (text == "BUSY") return AgentStatus::busy;
    if (text == "AWAY") return AgentStatus::away;
    return std::nullopt;
}

AgentStatus AgentStatuses::of(const std::string& agent_id) const {
    const auto it = agents_.find(agent_id);
    return it == agents_.end() ? AgentStatus::ready : it->second.status;
}

bool AgentStatuses::choose(const std::string& agent_id, AgentStatus status) {
    State& s = agents_[agent_id];
    s.missed = 0;
    if (s.status == status) return false;
    s.status = status;
    return true;
}

bool AgentStatuses::missed(const std::string& agent_id) {
    State& s = agents_[agent_id];
    ++s.missed;
    if (away_after_missed_ <= 0 || s.status != AgentStatus::ready || s.missed < away_after_missed_) return false;
    s.status = AgentStatus::away;
    return true;
}

int AgentStatuses::missed_in_a_row(const std::string& agent_id) const {
    const auto it = agents_.find(agent_id);
    return it == agents_.end() ? 0 : it->second.missed;
}

}  // namespace cim::agent
