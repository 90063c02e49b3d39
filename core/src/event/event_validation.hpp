// The rules an event must satisfy before it is accepted, shared by every ingest path.
#pragma once

#include "event/catalogue.hpp"
#include "event/event.hpp"
#include "event/event_error.hpp"

namespace cim::core {

/// Resolves `event.name` (aliases to the canonical name), sets `event.kind`, fills `event.type` from the catalogue when
/// unset, and checks every rule: a known name, a type that agrees with the catalogue, the ids the event requires, and
/// the seed's rules (a wrap-up carries a channel session or conversation id; a third-party activity carries a customer,
/// channel session or conversation id; a call-recording link carries a call id). Throws EventError naming the field
/// and the rule. Returns the catalogue entry.
const EventKind& validate_event(Event& event, const Catalogue& catalogue);

}  // namespace cim::core
