// A frame the agent desk sends over /agent/ws, decoded into plain fields: the one place the desk's untrusted JSON is
// read, kept pure (no routing state, no host) so it is fuzzed on its own (tests/fuzz/desk_frame). Protocol: README.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cim::agent {

/// The members the agent plugin acts on; absent or mistyped members read as empty.
struct DeskFrame {
    std::string type;                     ///< login, accept, message, whisper, read, wrapup, leave, transcript, ...
    std::string agent_id;                 ///< login
    std::string password;                 ///< login
    std::string conversation_id;          ///< every frame but login
    std::string text;                     ///< message, whisper
    std::string event_id;                 ///< read
    std::vector<std::string> categories;  ///< wrapup: the string elements of `categories`, in order
    std::string note;                     ///< wrapup
};

/// Decodes one WebSocket text message. nullopt when it is not a JSON object. Never throws on any input.
std::optional<DeskFrame> decode_desk_frame(std::string_view text);

}  // namespace cim::agent
