#include "sessions/conversation.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "bus/routing_hash.hpp"

namespace cim::core {
namespace {

constexpr std::array<std::pair<ConversationState, std::string_view>, 6> conversation_states{{
    {ConversationState::created, "CREATED"},
    {ConversationState::active, "ACTIVE"},
    {ConversationState::inactive, "INACTIVE"},
    {ConversationState::on_hold, "ON_HOLD"},
    {ConversationState::wrap_up, "WRAP_UP"},
    {ConversationState::closed, "CLOSED"},
}};

constexpr std::array<std::pair<ParticipantRole, std::string_view>, 4> roles{{
    {ParticipantRole::primary, "PRIMARY"},
    {ParticipantRole::assistant, "ASSISTANT"},
    {ParticipantRole::whisper, "WHISPER"},
    {ParticipantRole::silent_monitor, "SILENT_MONITOR"},
}};

}  // namespace

std::string_view to_string(ConversationState state) {
    for (const auto& [value, text] : conversation_states) {
        if (value == state) return text;
    }
    return "";
}

std::string_view to_string(ChannelSessionState state) {
    switch (state) {
        case ChannelSessionState::started: return "STARTED";
        case ChannelSessionState::ended: return "ENDED";
        case ChannelSessionState::expired: return "EXPIRED";
    }
    return "";
}

std::string_view to_string(ParticipantRole role) {
    for (const auto& [value, text] : roles) {
        if (value == role) return text;
    }
    return "";
}

bool parse_participant_role(std::string_view text, ParticipantRole& out) {
    for (const auto& [value, spelling] : roles) {
        if (spelling == text) {
            out = value;
            return true;
        }
    }
    return false;
}

bool Conversation::has_open_session() const {
    return std::any_of(channel_sessions.begin(), channel_sessions.end(),
                       [](const ChannelSession& s) { return s.state == ChannelSessionState::started; });
}

bool Conversation::has_active_agent() const {
    return std::any_of(participants.begin(), participants.end(),
                       [](const Participant& p) { return p.active && p.type == EmitterType::agent; });
}

ChannelSession* Conversation::find_session(std::string_view session_id) {
    for (ChannelSession& s : channel_sessions) {
        if (s.id == session_id) return &s;
    }
    return nullptr;
}

Participant* Conversation::find_participant(std::string_view participant_id) {
    for (Participant& p : participants) {
        if (p.id == participant_id) return &p;
    }
    return nullptr;
}

bool is_activity_update(std::string_view name) noexcept {
    return name == "ACTIVITY_REACTION" || name == "ACTIVITY_MODIFIED" || name == "MESSAGE_DELIVERY_NOTIFICATION";
}

std::uint64_t event_id_hash(std::string_view id) noexcept { return routing_hash(id); }

}  // namespace cim::core
