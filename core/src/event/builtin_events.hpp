// The built-in CIM events (DESIGN §1) as data: what a new Catalogue is seeded with.
//
// Which header fields an event requires is decided here, in the table, and nowhere else: validation reads the
// catalogue entry, so adding or changing an event is one row, never a new branch in the validator.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "event/catalogue.hpp"
#include "event/event.hpp"

namespace cim::core {

/// One row of the built-in table; the fields mean what they mean in EventKind.
struct BuiltinEvent {
    // Every field has a default so rows name only what they set (g++ 12 warns on omitted designated fields otherwise).
    std::string_view name = {};
    EventType type = EventType::unset;
    std::string_view description = {};
    std::uint32_t required_fields = requires_conversation_id;
    std::uint32_t required_any_of = 0;
    std::string_view any_of_rule = {};
};

/// A name the public CIM model uses for one of our events, accepted on ingest and resolved to `canonical`.
struct BuiltinAlias {
    std::string_view alias;
    std::string_view canonical;
};

/// Every built-in event, in the order their ids are assigned.
std::span<const BuiltinEvent> builtin_events() noexcept;

/// Every alias; each `canonical` names a row of builtin_events().
std::span<const BuiltinAlias> builtin_event_aliases() noexcept;

}  // namespace cim::core
