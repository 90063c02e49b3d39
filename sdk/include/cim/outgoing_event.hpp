// cim/outgoing_event.hpp — `cim::OutgoingEvent`, the owning builder of an event a plugin publishes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "cim/abi.h"
#include "cim/detail/strings.hpp"
#include "cim/detail/struct_size.hpp"
#include "cim/error.hpp"
#include "cim/event.hpp"

namespace cim {

/**
 * An event to publish: owns every field, set through chainable setters. Only the name is required; the host fills an
 * empty id, an `unset` type (from the catalogue) and a zero timestamp (its clock).
 *
 * Thread-safety: a plain value; build it on one thread, then publish it (or a copy) from any thread.
 *
 *     void on_event(const cim::Event& in) {
 *         auto reply = cim::OutgoingEvent("BOT_MESSAGE")
 *                          .reply_to(in)
 *                          .emitter(cim::EmitterType::bot, "echo-bot", "Echo")
 *                          .data({{"body", {{"type", "PLAIN"}, {"markdownText", "hi"}}}});
 *         if (auto result = publish(reply); !result.ok()) throw cim::Error(result.error);
 *     }
 */
class OutgoingEvent {
public:
    /// An event of catalogue (or custom "vendor.NAME") `name`, every other field empty.
    explicit OutgoingEvent(std::string name) : name_(std::move(name)) {}

    /// Sets the id; leave it empty to let the host assign one. Reusing an id marks a duplicate, not a new event.
    OutgoingEvent& id(std::string value) { id_ = std::move(value); return *this; }
    /// Sets the conversation id.
    OutgoingEvent& conversation(std::string value) { conversation_id_ = std::move(value); return *this; }
    /// Sets the channel session id.
    OutgoingEvent& channel_session(std::string value) { channel_session_id_ = std::move(value); return *this; }
    /// Sets the customer id.
    OutgoingEvent& customer(std::string value) { customer_id_ = std::move(value); return *this; }
    /// Sets the emitter: its kind, id and (optional) display name.
    OutgoingEvent& emitter(EmitterType kind, std::string emitter_id, std::string emitter_name = "") {
        emitter_type_ = kind;
        emitter_id_ = std::move(emitter_id);
        emitter_name_ = std::move(emitter_name);
        return *this;
    }
    /// For updates (reaction, modification, delivery): the id of the activity this event updates.
    OutgoingEvent& refers_to(std::string value) { refers_to_ = std::move(value); return *this; }
    /// Sets the type; normally left `unset` so the host takes it from the catalogue.
    OutgoingEvent& type(EventType value) noexcept { type_ = value; return *this; }
    /// Sets the timestamp (ms since the Unix epoch); 0 lets the host stamp it with its clock.
    OutgoingEvent& timestamp_ms(std::int64_t value) noexcept { timestamp_ms_ = value; return *this; }
    /**
     * Sets the payload by serialising `payload` now; a null `payload` means "no payload".
     * @throws cim::Error when `payload` cannot be serialised (a string that is not UTF-8).
     */
    OutgoingEvent& data(const nlohmann::json& payload) {
        if (payload.is_null()) {
            data_text_.clear();
            return *this;
        }
        try {
            data_text_ = payload.dump();
        } catch (const nlohmann::json::exception& e) {
            throw Error("cim: event " + name_ + ": data cannot be serialised: " + e.what());
        }
        return *this;
    }
    /// Sets the payload as JSON text, taken as is (the host validates it); empty means "no payload".
    OutgoingEvent& data_text(std::string json_text) { data_text_ = std::move(json_text); return *this; }

    /// Copies the routing ids of `incoming` (conversation, channel session, customer) so that this event lands in the
    /// same conversation; the usual first step of a reply.
    OutgoingEvent& reply_to(const Event& incoming) {
        conversation_id_ = std::string(incoming.conversation_id());
        channel_session_id_ = std::string(incoming.channel_session_id());
        customer_id_ = std::string(incoming.customer_id());
        return *this;
    }

    /// The event name given to the constructor.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    /// The id; empty = the host assigns one.
    [[nodiscard]] const std::string& id() const noexcept { return id_; }
    /// The conversation id; empty when not set.
    [[nodiscard]] const std::string& conversation_id() const noexcept { return conversation_id_; }
    /// The channel session id; empty when not set.
    [[nodiscard]] const std::string& channel_session_id() const noexcept { return channel_session_id_; }
    /// The customer id; empty when not set.
    [[nodiscard]] const std::string& customer_id() const noexcept { return customer_id_; }
    /// The emitter's kind; `unset` when not set.
    [[nodiscard]] EmitterType emitter_type() const noexcept { return emitter_type_; }
    /// The emitter's id; empty when not set.
    [[nodiscard]] const std::string& emitter_id() const noexcept { return emitter_id_; }
    /// The emitter's display name; empty when not set.
    [[nodiscard]] const std::string& emitter_name() const noexcept { return emitter_name_; }
    /// The id of the updated activity; empty when not set.
    [[nodiscard]] const std::string& refers_to() const noexcept { return refers_to_; }
    /// The type; `unset` = the host takes it from the catalogue.
    [[nodiscard]] EventType type() const noexcept { return type_; }
    /// The timestamp; 0 = the host stamps it.
    [[nodiscard]] std::int64_t timestamp_ms() const noexcept { return timestamp_ms_; }
    /// The payload as JSON text; empty when there is none.
    [[nodiscard]] const std::string& data_text() const noexcept { return data_text_; }

    /**
     * The event as the ABI struct, for `cim_host_t::publish`. Every view borrows this object's strings: it is valid
     * until this object is modified or destroyed (hence no call on a temporary).
     */
    [[nodiscard]] cim_event_t abi() const& noexcept {
        auto raw = detail::make_sized<cim_event_t>();
        raw.id = detail::to_abi(id_);
        raw.name = detail::to_abi(name_);
        raw.type = static_cast<cim_event_type_t>(type_);
        raw.timestamp_ms = timestamp_ms_;
        raw.conversation_id = detail::to_abi(conversation_id_);
        raw.channel_session_id = detail::to_abi(channel_session_id_);
        raw.customer_id = detail::to_abi(customer_id_);
        raw.emitter_id = detail::to_abi(emitter_id_);
        raw.emitter_type = static_cast<cim_emitter_type_t>(emitter_type_);
        raw.emitter_name = detail::to_abi(emitter_name_);
        raw.refers_to = detail::to_abi(refers_to_);
        raw.data_json = detail::to_abi(data_text_);
        return raw;
    }
    /// Deleted: the views would borrow a temporary that dies at the end of the statement.
    cim_event_t abi() const&& = delete;

private:
    std::string name_;
    std::string id_;
    std::string conversation_id_;
    std::string channel_session_id_;
    std::string customer_id_;
    EmitterType emitter_type_ = EmitterType::unset;
    std::string emitter_id_;
    std::string emitter_name_;
    std::string refers_to_;
    EventType type_ = EventType::unset;
    std::int64_t timestamp_ms_ = 0;
    std::string data_text_;
};

}  // namespace cim
