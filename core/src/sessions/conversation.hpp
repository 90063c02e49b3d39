// The tracked state of one conversation: its state, channel sessions and participants (DESIGN §1, docs/sessions.md).
//
// Deliberately small: an idle conversation must cost well under 1 KiB (DESIGN §6). Activity *content* lives in the
// journal; here only 64-bit hashes of event ids are kept, for duplicate detection and for resolving `refersTo`.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "event/event.hpp"

namespace cim::core {

// One byte each: they sit in every tracked conversation, session and participant (DESIGN §6).
enum class ConversationState : std::uint8_t { created, active, inactive, on_hold, wrap_up, closed };
enum class ChannelSessionState : std::uint8_t { started, ended, expired };
enum class ParticipantRole : std::uint8_t { primary, assistant, whisper, silent_monitor };

/// "CREATED", "ACTIVE", ... as the public CIM model spells them.
std::string_view to_string(ConversationState state);
/// "STARTED", "ENDED", "EXPIRED".
std::string_view to_string(ChannelSessionState state);
/// "PRIMARY", "ASSISTANT", "WHISPER", "SILENT_MONITOR".
std::string_view to_string(ParticipantRole role);
/// Parses the spelling above; false when unknown.
bool parse_participant_role(std::string_view text, ParticipantRole& out);

struct ChannelSession {
    std::string id;
    ChannelSessionState state = ChannelSessionState::started;
    bool interactive = false;                 ///< a call: ends when any participant leaves; never expires on inactivity
    bool on_hold = false;
    std::int64_t last_customer_activity_ms = 0;  ///< drives the inactivity expiry of non-interactive sessions
};

struct Participant {
    std::string id;
    EmitterType type = EmitterType::agent;    ///< agent or bot
    ParticipantRole role = ParticipantRole::primary;
    bool active = true;                       ///< false once unsubscribed
};

struct Conversation {
    std::string id;
    std::string customer_id;                     ///< the first non-empty customerId; ASSOCIATED_CUSTOMER_CHANGED moves it
    std::vector<ChannelSession> channel_sessions;
    std::vector<Participant> participants;
    std::vector<std::uint64_t> seen_event_ids;   ///< sorted hashes of every applied event id (duplicates)
    std::vector<std::uint64_t> activity_ids;     ///< sorted hashes of activity event ids (refersTo resolution)
    std::int64_t closed_at_ms = 0;               ///< when it last became CLOSED: its grace period counts from here
    /// The deadline of the newest entry of the tracker's deadline heap known to name this conversation;
    /// `no_deadline` when none is known (SessionTracker keeps it; docs/sessions.md, "Deadlines").
    std::int64_t armed_ms = no_deadline;
    // The small fields last and together, so they share one padded word instead of two.
    std::uint32_t heap_entries = 0;              ///< deadline-heap entries pointing here: not evicted while any remain
    ConversationState state = ConversationState::created;
    bool customer_unresponsive = false;          ///< CUSTOMER_RESPONSE_TIMEOUT while a session was open, no customer
                                                 ///< activity since; cleared when no session is open any more
    bool ever_active = false;                    ///< had an open channel session at some point
    bool due_listed = false;                     ///< already listed by the running SessionTracker::take_due
    bool buried = false;                         ///< evicted, its node kept only until no heap entry points here

    static constexpr std::int64_t no_deadline = std::numeric_limits<std::int64_t>::min();

    bool has_open_session() const;
    bool has_active_agent() const;
    ChannelSession* find_session(std::string_view session_id);
    Participant* find_participant(std::string_view participant_id);
};

/// True for the events that update an earlier activity named by `refersTo` (reaction, modification, delivery).
bool is_activity_update(std::string_view event_name) noexcept;

/// A stable 64-bit hash of an event id (FNV-1a, like routing).
std::uint64_t event_id_hash(std::string_view id) noexcept;

}  // namespace cim::core
