// The JSON wire form of a CIMEvent (DESIGN §1): camelCase header fields plus `data`.
//
//   {"id":"e1","name":"CUSTOMER_MESSAGE","type":"ACTIVITY","timestamp":1700000000000,"conversationId":"c1",
//    "channelSessionId":"s1","customerId":"u1","emitter":{"id":"u1","type":"CUSTOMER","name":"Ann"},
//    "refersTo":"e0","data":{...}}
//
// Parsing reads the header into typed fields and keeps `data` as the exact source text (it is scanned for
// well-formedness, never built into a DOM). Writing emits the header in the order above, omitting absent fields, and
// `data` verbatim — so write(parse(write(e))) == write(e), byte for byte.
#pragma once

#include <string>
#include <string_view>

#include "event/catalogue.hpp"
#include "event/event.hpp"

namespace cim::core {

/// Parses one event from its JSON text and validates it (validate_event). Throws EventError naming the field and rule:
/// malformed JSON (with the byte offset), a header field of the wrong JSON type, an unknown name, a type that
/// contradicts the catalogue, a missing required id, an unknown key at the top level. `id` and `timestamp` may be
/// absent (the runtime stamps them later).
Event parse_event_json(std::string_view text, const Catalogue& catalogue);

/// Checks the text of an event that no parser has seen (one built from the C ABI): every header string is UTF-8 and
/// `data`, when present, is one well-formed JSON value — what parse_event_json guarantees for the wire form. Throws
/// EventError naming the field. Costs one pass over the strings and `data`.
void check_event_text(const Event& event);

/// True when `text` is well-formed UTF-8 (the rules check_event_text applies). One pass, no allocation.
bool valid_utf8(std::string_view text) noexcept;

/// The event's wire form on one line, no trailing newline. `journalSeq` is written for an event read from a journal
/// (journal_seq != 0): a line that carries it is a replay when published again.
std::string to_event_json(const Event& event);

}  // namespace cim::core
