// The runtime's own copy of a CIMEvent: typed header fields plus the raw JSON text of `data`.
//
// Built once at ingest (from the JSON wire form, or from a plugin's cim_event_t) and immutable after it is stamped and
// accepted; the bus shares it between consumers as `EventPtr`. Nothing on the routing path parses `data`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cim/abi.h"

namespace cim::core {

/// CIMEvent type; the numeric values are the ABI's CIM_EVENT_TYPE_* constants.
enum class EventType : std::uint32_t {
    unset = CIM_EVENT_TYPE_UNSET,
    activity = CIM_EVENT_TYPE_ACTIVITY,
    suggestion = CIM_EVENT_TYPE_SUGGESTION,
    message = CIM_EVENT_TYPE_MESSAGE,
    notification = CIM_EVENT_TYPE_NOTIFICATION,
    call = CIM_EVENT_TYPE_CALL,
};

/// Who emitted an event; the numeric values are the ABI's CIM_EMITTER_* constants.
enum class EmitterType : std::uint32_t {
    unset = CIM_EMITTER_UNSET,
    customer = CIM_EMITTER_CUSTOMER,
    agent = CIM_EMITTER_AGENT,
    bot = CIM_EMITTER_BOT,
    app = CIM_EMITTER_APP,
    system = CIM_EMITTER_SYSTEM,
    connector = CIM_EMITTER_CONNECTOR,
};

/// "ACTIVITY", "SUGGESTION", ... as in the wire form; "" for unset.
std::string_view to_string(EventType type);
/// "CUSTOMER", "AGENT", ... as in the wire form; "" for unset.
std::string_view to_string(EmitterType type);
/// Parses the wire spelling; returns false for an unknown spelling.
bool parse_event_type(std::string_view text, EventType& out);
/// Parses the wire spelling; returns false for an unknown spelling.
bool parse_emitter_type(std::string_view text, EmitterType& out);

/// Index of an event name in a Catalogue; stable for the catalogue's lifetime, dense from 0.
using EventKindId = std::uint32_t;
inline constexpr EventKindId no_event_kind = 0xFFFFFFFFu;

struct Emitter {
    std::string id;
    EmitterType type = EmitterType::unset;
    std::string name;
    bool operator==(const Emitter&) const = default;
};

struct Event {
    std::string id;
    std::string name;            ///< canonical catalogue name (aliases are resolved at ingest)
    EventType type = EventType::unset;
    std::int64_t timestamp_ms = 0;
    std::string conversation_id;
    std::string channel_session_id;
    std::string customer_id;
    Emitter emitter;
    std::string refers_to;
    std::string data;            ///< raw JSON text of `data`, exactly as received; empty = absent
    EventKindId kind = no_event_kind; ///< set by the catalogue lookup at ingest
    /// Where the event stands in the journal it was read from (1-based); 0 for a live event. A published event that
    /// carries one is a replay (`cimrt journal --json | cimrt publish`): tracked and journaled again, delivered to no
    /// plugin — replay restores the record, it does not re-run the contact center (docs/store.md).
    std::int64_t journal_seq = 0;

    /// The key that decides the shard: the conversation, else the channel session, else the customer, else the id.
    /// Events of one conversation therefore always meet on one shard, in publish order.
    std::string_view routing_key() const noexcept;

    bool operator==(const Event&) const = default;
};

using EventPtr = std::shared_ptr<const Event>;

/// A borrowed ABI view of `event`; valid while `event` lives and is not modified.
cim_event_t to_abi_view(const Event& event) noexcept;

/// A copy of an ABI event, reading only the fields its `struct_size` covers. Does not validate.
Event from_abi(const cim_event_t& event);

}  // namespace cim::core
