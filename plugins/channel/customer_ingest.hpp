// Turns what customers do on any channel (web chat or a connector) into CIMEvents: starts the channel session and
// conversation on the first message, then publishes the message, delivery notifications and the session's end.
//
// Called on the plugin's event-loop thread only, so a customer's session start and first message are published in
// that order and never twice.
#pragma once

#include <functional>
#include <string>

#include <cim/host.hpp>
#include <nlohmann/json.hpp>

#include "session_directory.hpp"

namespace cim::channel {

/// What a publish did, with the session it went to.
struct IngestOutcome {
    cim::PublishResult result;
    SessionRecord record;
    std::string event_id;  ///< the id of the event published (valid when result.ok())
};

class CustomerIngest {
public:
    CustomerIngest(const cim::Host& host, SessionDirectory& directory) : host_(host), directory_(directory) {}

    /// Publishes CUSTOMER_MESSAGE carrying the CIM `message` (its header.channelData is filled in here), after
    /// CHANNEL_SESSION_STARTED when the customer has no open session. `event_id` may be empty (a fresh one is made).
    IngestOutcome customer_message(const std::string& service, const std::string& channel_customer_id,
                                   const std::string& customer_id, nlohmann::json message, std::string event_id);
    /// customer_message without waiting for durability (publish_async): `done` gets the outcome once the message is
    /// as durable as store.sync promises — on this thread when that is known at once, otherwise on the runtime's
    /// store thread (keep it short: hand the answer over, as the connector API does with a deferred HTTP reply).
    /// Concurrent messages so share one commit.
    void customer_message_async(const std::string& service, const std::string& channel_customer_id,
                                const std::string& customer_id, nlohmann::json message, std::string event_id,
                                std::function<void(IngestOutcome)> done);

    /// Publishes MESSAGE_DELIVERY_NOTIFICATION with `status` (DELIVERED, READ, FAILED) for event `refers_to`.
    cim::PublishResult delivery_notification(const SessionRecord& record, const std::string& refers_to,
                                             const std::string& status, cim::EmitterType emitter_type,
                                             const std::string& emitter_id, const std::string& reason = "");

    /// Publishes CHANNEL_SESSION_ENDED for the customer's open session and closes it in the directory.
    cim::PublishResult end_session(const SessionRecord& record, cim::EmitterType emitter_type,
                                   const std::string& emitter_id);

private:
    /// A customer message ready to publish: its session found or started in the directory, its header filled in.
    struct PreparedMessage {
        SessionRecord record;
        bool starts_session = false;  ///< the session is new: CHANNEL_SESSION_STARTED goes first
        std::string message_id;       ///< the CIM message's own id (empty when it has none)
        std::string event_id;
        cim::OutgoingEvent event{"CUSTOMER_MESSAGE"};
    };
    PreparedMessage prepare(const std::string& service, const std::string& channel_customer_id,
                            const std::string& customer_id, nlohmann::json message, std::string event_id);
    static cim::OutgoingEvent start_session_event(const SessionRecord& record);
    cim::PublishResult start_session(const SessionRecord& record);

    const cim::Host& host_;
    SessionDirectory& directory_;
};

/// The ChannelSession object CHANNEL_SESSION_* events carry.
nlohmann::json channel_session_json(const SessionRecord& record, const char* state);

}  // namespace cim::channel
