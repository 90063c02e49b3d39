// The tracked state of a conversation as JSON: what `Runtime::conversation_state` returns and the state part of
// `cimrt inspect conversation --json`. One function for both, so the live and the replayed views cannot drift.
#pragma once

#include <nlohmann/json.hpp>

#include "sessions/conversation.hpp"

namespace cim::core {

/// {id, state, customerId, channelSessions[{id, state, interactive}], participants[{id, type, role, active}]}
nlohmann::json conversation_state_json(const Conversation& conversation);

/// {id, state, interactive}: a channel session as the state view shows it and as the payload of the session events the
/// tracker derives (CHANNEL_SESSION_ENDED, CHANNEL_SESSION_EXPIRED).
nlohmann::json channel_session_json(const ChannelSession& session);

}  // namespace cim::core
