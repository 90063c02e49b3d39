#include "sessions/conversation_json.hpp"

namespace cim::core {

nlohmann::json channel_session_json(const ChannelSession& s) {
    return {{"id", s.id}, {"state", to_string(s.state)}, {"interactive", s.interactive}};
}

nlohmann::json conversation_state_json(const Conversation& c) {
    nlohmann::json sessions = nlohmann::json::array();
    for (const ChannelSession& s : c.channel_sessions) sessions.push_back(channel_session_json(s));
    nlohmann::json participants = nlohmann::json::array();
    for (const Participant& p : c.participants) {
        participants.push_back(
            {{"id", p.id}, {"type", to_string(p.type)}, {"role", to_string(p.role)}, {"active", p.active}});
    }
    return {{"id", c.id},
            {"state", to_string(c.state)},
            {"customerId", c.customer_id},
            {"channelSessions", std::move(sessions)},
            {"participants", std::move(participants)}};
}

}  // namespace cim::core
