// The agent desk's protocol over /agent/ws (README.md, "Agent desk"): the frames a desk sends, decoded into plain
// fields, and the frames the plugin sends, encoded. Pure (no routing state, no host): the decoding side is the one
// place the desk's untrusted JSON is read, fuzzed on its own (tests/fuzz/desk_frame).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cim::agent {

// ---- desk → plugin ----------------------------------------------------------------------------------------------

/// The members the agent plugin acts on; absent or mistyped members read as empty.
struct DeskFrame {
    std::string type;                     ///< login, resume, accept, decline, message, whisper, read, wrapup, leave, transcript, status
    std::string agent_id;                 ///< login
    std::string password;                 ///< login
    std::string token;                    ///< resume: the session token a welcome gave
    std::string status;                   ///< status: READY, BUSY or AWAY
    std::string conversation_id;          ///< every frame but login
    std::string text;                     ///< message, whisper
    std::string event_id;                 ///< read
    std::vector<std::string> categories;  ///< wrapup: the string elements of `categories`, in order
    std::string note;                     ///< wrapup
};

/// Decodes one WebSocket text message. nullopt when it is not a JSON object. Never throws on any input.
std::optional<DeskFrame> decode_desk_frame(std::string_view text);
/// The same for a message already parsed (by common::FrameDispatch); a non-object decodes as an empty frame.
DeskFrame decode_desk_frame(const nlohmann::json& frame);

// ---- plugin → desk ----------------------------------------------------------------------------------------------
// `offer` and `assigned` carry the conversation's transcript; these encoders leave it out, because it comes from the
// runtime (a query) and is added by whoever sends the frame (add_transcript), outside any lock.

struct DeskAgent {
    std::string id;
    std::string name;
    int capacity = 0;
};

/// `welcome`: the login succeeded; `status` is the agent's (READY, BUSY, AWAY). The plugin adds the desk's `session`.
nlohmann::json welcome_frame(const DeskAgent& agent, const std::vector<std::string>& wrapup_categories,
                             std::string_view status = "READY");
/// `status`: the agent's status is `status` now, because of `reason` (CHOSEN or MISSED_OFFERS); `notice` is what the
/// desk tells the agent (empty: nothing to tell).
nlohmann::json status_frame(std::string_view status, std::string_view reason, std::string_view notice = {});
/// `offer`: offered to this agent until `expires_at_ms` (ms since the epoch; the offer's real deadline).
nlohmann::json offer_frame(const std::string& conversation_id, const std::string& customer_id, const std::string& task_id,
                           std::int64_t expires_at_ms);
/// `assigned`: the conversation is the agent's (after accept, login, transcript).
nlohmann::json assigned_frame(const std::string& conversation_id, const std::string& customer_id);
/// `offer_withdrawn`: `reason` is ACCEPT_TIMEOUT, DECLINED or CUSTOMER_LEFT.
nlohmann::json withdrawn_frame(const std::string& conversation_id, std::string_view reason);
/// `event`: something happened in a conversation offered to or owned by the agent (an entry of desk_entries.hpp).
nlohmann::json event_frame(const std::string& conversation_id, const nlohmann::json& entry);
/// `closed`: the agent left the conversation.
nlohmann::json closed_frame(const std::string& conversation_id);
/// `error`: a frame was refused (common::error_frame, the wording the web chat uses too).
nlohmann::json desk_error_frame(std::string_view message, std::string_view conversation_id = {});
/// `session_refused`: a `resume` with a token that expired or is unknown; `error` says so, for the login form.
nlohmann::json session_refused_frame(std::string_view message);
/// `error` for a login heard too early: says when to try again.
nlohmann::json login_refused_frame(std::int64_t retry_after_ms);

/// Sets `frame["transcript"]`: the entries of a conversation view (desk_entries.hpp transcript_of).
void add_transcript(nlohmann::json& frame, nlohmann::json transcript);

}  // namespace cim::agent
