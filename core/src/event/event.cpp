#include "event/event.hpp"

#include <array>
#include <cstddef>
#include <utility>

namespace cim::core {
namespace {

// One table per enum serves both directions, so a spelling can never be added to one and forgotten in the other.
constexpr std::array<std::pair<EventType, std::string_view>, 5> event_type_spellings{{
    {EventType::activity, "ACTIVITY"},
    {EventType::suggestion, "SUGGESTION"},
    {EventType::message, "MESSAGE"},
    {EventType::notification, "NOTIFICATION"},
    {EventType::call, "CALL"},
}};

constexpr std::array<std::pair<EmitterType, std::string_view>, 6> emitter_type_spellings{{
    {EmitterType::customer, "CUSTOMER"},
    {EmitterType::agent, "AGENT"},
    {EmitterType::bot, "BOT"},
    {EmitterType::app, "APP"},
    {EmitterType::system, "SYSTEM"},
    {EmitterType::connector, "CONNECTOR"},
}};

template <typename Enum, std::size_t N>
std::string_view spelling_of(const std::array<std::pair<Enum, std::string_view>, N>& spellings, Enum value) {
    for (const auto& [candidate, spelling] : spellings) {
        if (candidate == value) return spelling;
    }
    return {};
}

template <typename Enum, std::size_t N>
bool value_of(const std::array<std::pair<Enum, std::string_view>, N>& spellings, std::string_view text, Enum& out) {
    for (const auto& [candidate, spelling] : spellings) {
        if (spelling == text) {
            out = candidate;
            return true;
        }
    }
    return false;
}

cim_str_t view_of(const std::string& text) noexcept { return cim_str_t{text.data(), text.size()}; }

// A plugin may hand a NULL pointer with a non-zero size; reading it would crash the host, so it counts as absent.
std::string copy_of(cim_str_t text) {
    if (text.data == nullptr) return {};
    return std::string(text.data, text.size);
}

// The ABI's growable-struct rule: a field exists only when the writer's struct_size covers all of it. A plugin built
// against an older cim_event_t hands a shorter struct, and the bytes past its end are not ours to read.
bool covers(const cim_event_t& event, std::size_t field_offset, std::size_t field_size) noexcept {
    return field_offset + field_size <= event.struct_size;
}

}  // namespace

std::string_view to_string(EventType type) { return spelling_of(event_type_spellings, type); }

std::string_view to_string(EmitterType type) { return spelling_of(emitter_type_spellings, type); }

bool parse_event_type(std::string_view text, EventType& out) { return value_of(event_type_spellings, text, out); }

bool parse_emitter_type(std::string_view text, EmitterType& out) {
    return value_of(emitter_type_spellings, text, out);
}

std::string_view Event::routing_key() const noexcept {
    if (!conversation_id.empty()) return conversation_id;
    if (!channel_session_id.empty()) return channel_session_id;
    if (!customer_id.empty()) return customer_id;
    return id;
}

cim_event_t to_abi_view(const Event& event) noexcept {
    cim_event_t view{};
    view.struct_size = sizeof(cim_event_t);
    view.id = view_of(event.id);
    view.name = view_of(event.name);
    view.type = static_cast<cim_event_type_t>(event.type);
    view.timestamp_ms = event.timestamp_ms;
    view.conversation_id = view_of(event.conversation_id);
    view.channel_session_id = view_of(event.channel_session_id);
    view.customer_id = view_of(event.customer_id);
    view.emitter_id = view_of(event.emitter.id);
    view.emitter_type = static_cast<cim_emitter_type_t>(event.emitter.type);
    view.emitter_name = view_of(event.emitter.name);
    view.refers_to = view_of(event.refers_to);
    view.data_json = view_of(event.data);
    return view;
}

Event from_abi(const cim_event_t& raw) {
    Event event;
    if (covers(raw, offsetof(cim_event_t, id), sizeof raw.id)) event.id = copy_of(raw.id);
    if (covers(raw, offsetof(cim_event_t, name), sizeof raw.name)) event.name = copy_of(raw.name);
    if (covers(raw, offsetof(cim_event_t, type), sizeof raw.type)) event.type = static_cast<EventType>(raw.type);
    if (covers(raw, offsetof(cim_event_t, timestamp_ms), sizeof raw.timestamp_ms)) event.timestamp_ms = raw.timestamp_ms;
    if (covers(raw, offsetof(cim_event_t, conversation_id), sizeof raw.conversation_id)) {
        event.conversation_id = copy_of(raw.conversation_id);
    }
    if (covers(raw, offsetof(cim_event_t, channel_session_id), sizeof raw.channel_session_id)) {
        event.channel_session_id = copy_of(raw.channel_session_id);
    }
    if (covers(raw, offsetof(cim_event_t, customer_id), sizeof raw.customer_id)) event.customer_id = copy_of(raw.customer_id);
    if (covers(raw, offsetof(cim_event_t, emitter_id), sizeof raw.emitter_id)) event.emitter.id = copy_of(raw.emitter_id);
    if (covers(raw, offsetof(cim_event_t, emitter_type), sizeof raw.emitter_type)) {
        event.emitter.type = static_cast<EmitterType>(raw.emitter_type);
    }
    if (covers(raw, offsetof(cim_event_t, emitter_name), sizeof raw.emitter_name)) {
        event.emitter.name = copy_of(raw.emitter_name);
    }
    if (covers(raw, offsetof(cim_event_t, refers_to), sizeof raw.refers_to)) event.refers_to = copy_of(raw.refers_to);
    if (covers(raw, offsetof(cim_event_t, data_json), sizeof raw.data_json)) event.data = copy_of(raw.data_json);
    return event;
}

}  // namespace cim::core
