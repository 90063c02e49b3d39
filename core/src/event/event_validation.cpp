#include "event/event_validation.hpp"

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cim::core {
namespace {

// The ids a catalogue entry can require, with their wire names (the names errors use), in the wire form's order.
struct IdField {
    RequiredField flag;
    std::string_view wire_name;
    std::string Event::*member;
};

constexpr IdField id_fields[] = {
    {requires_conversation_id, "conversationId", &Event::conversation_id},
    {requires_channel_session_id, "channelSessionId", &Event::channel_session_id},
    {requires_customer_id, "customerId", &Event::customer_id},
    {requires_refers_to, "refersTo", &Event::refers_to},
};

void check_type(Event& event, const EventKind& kind) {
    if (event.type == EventType::unset) {
        event.type = kind.type;
        return;
    }
    const std::string_view given = to_string(event.type);
    if (given.empty()) {  // only a plugin's cim_event_t can carry a number outside the enum
        throw EventError("type", "unknown event type " + std::to_string(static_cast<std::uint32_t>(event.type)));
    }
    if (event.type != kind.type) {
        throw EventError("type", "'" + std::string(given) + "' contradicts the catalogue: " + kind.name + " is " +
                                     std::string(to_string(kind.type)));
    }
}

void check_emitter_type(const Event& event) {
    if (event.emitter.type != EmitterType::unset && to_string(event.emitter.type).empty()) {
        throw EventError("emitter.type", "unknown emitter type " +
                                             std::to_string(static_cast<std::uint32_t>(event.emitter.type)));
    }
}

void check_required_ids(const Event& event, const EventKind& kind) {
    for (const IdField& field : id_fields) {
        if ((kind.required_fields & field.flag) != 0 && (event.*field.member).empty()) {
            throw EventError(std::string(field.wire_name), "required by " + kind.name);
        }
    }
    if (kind.required_any_of == 0) return;

    std::string alternatives;  // the field of the error: every id that would have satisfied the rule
    for (const IdField& field : id_fields) {
        if ((kind.required_any_of & field.flag) == 0) continue;
        if (!(event.*field.member).empty()) return;
        if (!alternatives.empty()) alternatives += '/';
        alternatives += field.wire_name;
    }
    throw EventError(alternatives,
                     kind.any_of_rule.empty() ? "one of them is required by " + kind.name : kind.any_of_rule);
}

// The seed's recording-link rule is the one rule that looks into `data`, so it costs a parse. It runs only for a
// THIRD_PARTY_ACTIVITY and only here, at ingest; the routing path never parses `data`.
void check_call_recording_link(const Event& event) {
    if (event.name != "THIRD_PARTY_ACTIVITY" || event.data.empty()) return;
    const auto data = nlohmann::json::parse(event.data, nullptr, /*allow_exceptions=*/false);
    if (data.is_discarded()) throw EventError("data", "malformed JSON");
    if (!data.is_object()) return;
    const auto activity_type = data.find("activityType");
    if (activity_type == data.end() || *activity_type != "CALL_RECORDING_LINK") return;
    const auto call_id = data.find("callId");
    if (call_id == data.end() || !call_id->is_string() || call_id->get_ref<const std::string&>().empty()) {
        throw EventError("data.callId", "a call-recording link must carry a call id");
    }
}

}  // namespace

const EventKind& validate_event(Event& event, const Catalogue& catalogue) {
    if (event.name.empty()) throw EventError("name", "required");
    const EventKind* kind = catalogue.find(event.name);
    if (kind == nullptr) throw EventError("name", "unknown event '" + event.name + "'");
    if (event.name != kind->name) event.name = kind->name;  // an alias from the public model
    event.kind = kind->id;

    check_type(event, *kind);
    // 0 asks the runtime to stamp the event; a time before 1970 is no CX event's and would sort before every other.
    if (event.timestamp_ms < 0) throw EventError("timestamp", "must not be negative");
    check_emitter_type(event);
    check_required_ids(event, *kind);
    check_call_recording_link(event);
    return *kind;
}

}  // namespace cim::core
