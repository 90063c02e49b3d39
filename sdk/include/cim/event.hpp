// cim/event.hpp — the event types and `cim::Event`, the read-only view of an event the host delivers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cim/abi.h"
#include "cim/detail/strings.hpp"
#include "cim/detail/struct_size.hpp"
#include "cim/error.hpp"

namespace cim {

/**
 * The CIMEvent type (fixed per event name by the catalogue); the values are the ABI's CIM_EVENT_TYPE_*.
 * `unset` in a published event means "let the host fill it from the catalogue".
 * A newer host may deliver a value this SDK does not name: it survives the cast, and to_string() says "UNKNOWN".
 */
enum class EventType : std::uint32_t {
    unset = CIM_EVENT_TYPE_UNSET,
    activity = CIM_EVENT_TYPE_ACTIVITY,
    suggestion = CIM_EVENT_TYPE_SUGGESTION,
    message = CIM_EVENT_TYPE_MESSAGE,
    notification = CIM_EVENT_TYPE_NOTIFICATION,
    call = CIM_EVENT_TYPE_CALL,
};

/**
 * Who emitted an event; the values are the ABI's CIM_EMITTER_*. `unset` means "not given".
 * Unknown values behave as for EventType.
 */
enum class EmitterType : std::uint32_t {
    unset = CIM_EMITTER_UNSET,
    customer = CIM_EMITTER_CUSTOMER,
    agent = CIM_EMITTER_AGENT,
    bot = CIM_EMITTER_BOT,
    app = CIM_EMITTER_APP,
    system = CIM_EMITTER_SYSTEM,
    connector = CIM_EMITTER_CONNECTOR,
};

/**
 * The CIM wire spelling of an event type: "ACTIVITY", "SUGGESTION", "MESSAGE", "NOTIFICATION", "CALL"; "UNSET" for
 * `unset` and "UNKNOWN" for a value this SDK does not know. Thread-safety: pure function.
 */
[[nodiscard]] constexpr std::string_view to_string(EventType type) noexcept {
    switch (type) {
        case EventType::unset: return "UNSET";
        case EventType::activity: return "ACTIVITY";
        case EventType::suggestion: return "SUGGESTION";
        case EventType::message: return "MESSAGE";
        case EventType::notification: return "NOTIFICATION";
        case EventType::call: return "CALL";
    }
    return "UNKNOWN";
}

/**
 * The CIM wire spelling of an emitter type: "CUSTOMER", "AGENT", "BOT", "APP", "SYSTEM", "CONNECTOR"; "UNSET" for
 * `unset` and "UNKNOWN" for a value this SDK does not know. Thread-safety: pure function.
 */
[[nodiscard]] constexpr std::string_view to_string(EmitterType type) noexcept {
    switch (type) {
        case EmitterType::unset: return "UNSET";
        case EmitterType::customer: return "CUSTOMER";
        case EmitterType::agent: return "AGENT";
        case EmitterType::bot: return "BOT";
        case EmitterType::app: return "APP";
        case EmitterType::system: return "SYSTEM";
        case EmitterType::connector: return "CONNECTOR";
    }
    return "UNKNOWN";
}

/**
 * A read-only view of an event the host delivered to `on_event`: typed header accessors plus the payload, parsed on
 * first use.
 *
 * It borrows the host's `cim_event_t` and every string it points to, so it is valid only during the `on_event` call
 * that received it: copy what you keep (`std::string(event.conversation_id())`, or `OutgoingEvent::reply_to`).
 * A field the writer's `struct_size` does not cover (an older host) reads as empty / zero, never as stray memory.
 *
 * Thread-safety: not thread-safe: `data()` caches its result without a lock, so one Event is used by one thread at a
 * time (the hook's); that is how the host delivers it.
 *
 *     void on_event(const cim::Event& event) {
 *         if (event.name() != "CUSTOMER_MESSAGE") return;
 *         const auto& body = event.data().at("body");   // parsed here, once; throws cim::Error when malformed
 *         ...
 *     }
 */
class Event {
public:
    /// Views `raw`; nothing is copied or parsed yet.
    explicit Event(const cim_event_t& raw) noexcept : raw_(&raw) {}
    /// A view of a temporary would dangle at the end of the statement.
    explicit Event(const cim_event_t&& raw) = delete;

    /// The unique event id (set by the host on delivery).
    [[nodiscard]] std::string_view id() const noexcept { return text(&cim_event_t::id); }
    /// The catalogue name, e.g. "CUSTOMER_MESSAGE", or a custom "vendor.NAME".
    [[nodiscard]] std::string_view name() const noexcept { return text(&cim_event_t::name); }
    /// The CIMEvent type of this name.
    [[nodiscard]] EventType type() const noexcept {
        return detail::has_field(*raw_, &cim_event_t::type) ? static_cast<EventType>(raw_->type) : EventType::unset;
    }
    /// Milliseconds since the Unix epoch, on the runtime's clock; 0 when absent.
    [[nodiscard]] std::int64_t timestamp_ms() const noexcept {
        return detail::has_field(*raw_, &cim_event_t::timestamp_ms) ? raw_->timestamp_ms : 0;
    }
    /// The conversation it belongs to; empty for events outside one (a note, a stand-alone app activity).
    [[nodiscard]] std::string_view conversation_id() const noexcept { return text(&cim_event_t::conversation_id); }
    /// The channel session, where there is one.
    [[nodiscard]] std::string_view channel_session_id() const noexcept {
        return text(&cim_event_t::channel_session_id);
    }
    /// The customer the event is linked to.
    [[nodiscard]] std::string_view customer_id() const noexcept { return text(&cim_event_t::customer_id); }
    /// The emitter's id.
    [[nodiscard]] std::string_view emitter_id() const noexcept { return text(&cim_event_t::emitter_id); }
    /// The emitter's kind.
    [[nodiscard]] EmitterType emitter_type() const noexcept {
        return detail::has_field(*raw_, &cim_event_t::emitter_type) ? static_cast<EmitterType>(raw_->emitter_type)
                                                                     : EmitterType::unset;
    }
    /// The emitter's display name.
    [[nodiscard]] std::string_view emitter_name() const noexcept { return text(&cim_event_t::emitter_name); }
    /// For updates (reaction, modification, delivery): the id of the activity this event updates.
    [[nodiscard]] std::string_view refers_to() const noexcept { return text(&cim_event_t::refers_to); }
    /// The payload as raw JSON text, unparsed; empty when the event has no payload.
    [[nodiscard]] std::string_view data_text() const noexcept { return text(&cim_event_t::data_json); }

    /**
     * The payload, parsed on the first call and cached, so an event whose payload is never looked at costs no parse.
     * @return null JSON when the event has no payload.
     * @throws cim::Error naming the event id and name when the payload is not valid JSON (from a hook, let it
     *   propagate: the delivery fails with that message).
     */
    [[nodiscard]] const nlohmann::json& data() const {
        if (!data_) {
            const std::string_view text_json = data_text();
            if (text_json.empty()) {
                data_.emplace(nullptr);
            } else {
                try {
                    data_.emplace(nlohmann::json::parse(text_json));
                } catch (const nlohmann::json::exception& e) {
                    throw Error("cim: event '" + std::string(id()) + "' (" + std::string(name()) +
                                "): data is not valid JSON: " + e.what());
                }
            }
        }
        return *data_;
    }

    /// The underlying ABI struct, for what the view does not cover; read it with detail::has_field().
    [[nodiscard]] const cim_event_t& abi() const noexcept { return *raw_; }

private:
    [[nodiscard]] std::string_view text(cim_str_t cim_event_t::*member) const noexcept {
        return detail::has_field(*raw_, member) ? detail::to_view(raw_->*member) : std::string_view{};
    }

    const cim_event_t* raw_;
    mutable std::optional<nlohmann::json> data_;
};

}  // namespace cim
