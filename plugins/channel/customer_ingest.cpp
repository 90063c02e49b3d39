#include "customer_ingest.hpp"

#include <memory>
#include <mutex>
#include <optional>

#include "plugin_common/random_id.hpp"

namespace cim::channel {

nlohmann::json channel_session_json(const SessionRecord& record, const char* state) {
    return {{"id", record.session_id},
            {"state", state},
            {"interactive", false},  // chat: the session outlives a participant's departure
            {"channel", {{"serviceIdentifier", record.service}}},
            {"channelData",
             {{"channelCustomerIdentifier", record.channel_customer_id}, {"serviceIdentifier", record.service}}},
            {"customer", {{"id", record.customer_id}}}};
}

cim::OutgoingEvent CustomerIngest::start_session_event(const SessionRecord& record) {
    return cim::OutgoingEvent("CHANNEL_SESSION_STARTED")
        .conversation(record.conversation_id)
        .channel_session(record.session_id)
        .customer(record.customer_id)
        .emitter(cim::EmitterType::connector, record.service)
        .data(channel_session_json(record, "STARTED"));
}

cim::PublishResult CustomerIngest::start_session(const SessionRecord& record) {
    return host_.publish(start_session_event(record));
}

CustomerIngest::PreparedMessage CustomerIngest::prepare(const std::string& service,
                                                        const std::string& channel_customer_id,
                                                        const std::string& customer_id, nlohmann::json message,
                                                        std::string event_id) {
    PreparedMessage prepared;
    SessionDirectory::Found found;
    // An answer to a message of the customer's last, already closed, conversation (the survey sent after the chat
    // ended) belongs to that conversation; it must not start a new one.
    const std::string replied_to = message["header"].is_object() && message["header"].contains("replyToMessageId") &&
                                           message["header"]["replyToMessageId"].is_string()
                                       ? message["header"]["replyToMessageId"].get<std::string>()
                                       : std::string();
    // Likewise a connector's retry of a message that already went to that conversation (its answer was lost, the
    // runtime restarted meanwhile): it must land there again, where the runtime recognises the duplicate.
    const std::string own_id = message.contains("id") && message["id"].is_string() ? message["id"].get<std::string>()
                                                                                    : std::string();
    const auto latest = directory_.latest(service, channel_customer_id);
    const auto sent_in_latest = [&](const std::string& id) {
        return !id.empty() && directory_.event_of_message(latest->conversation_id, id).has_value();
    };
    if (latest && !latest->open && (sent_in_latest(replied_to) || sent_in_latest(own_id))) {
        found.record = *latest;
    } else {
        found = directory_.find_or_start(service, channel_customer_id, customer_id);
    }
    prepared.record = found.record;
    prepared.starts_session = found.created;
    auto& header = message["header"];
    header["channelData"] = {{"channelCustomerIdentifier", channel_customer_id}, {"serviceIdentifier", service}};
    header["channelSessionId"] = found.record.session_id;
    header["conversationId"] = found.record.conversation_id;
    if (!header.contains("sender")) header["sender"] = {{"id", customer_id}, {"type", "CUSTOMER"}};
    prepared.message_id = message.value("id", std::string());
    const std::string sender_name = header["sender"].is_object() ? header["sender"].value("name", std::string()) : "";
    prepared.event_id = event_id.empty() ? common::random_uuid() : std::move(event_id);
    prepared.event = cim::OutgoingEvent("CUSTOMER_MESSAGE")
                         .id(prepared.event_id)
                         .conversation(found.record.conversation_id)
                         .channel_session(found.record.session_id)
                         .customer(customer_id)
                         .emitter(cim::EmitterType::customer, customer_id, sender_name)
                         .data(message);
    return prepared;
}

IngestOutcome CustomerIngest::customer_message(const std::string& service, const std::string& channel_customer_id,
                                               const std::string& customer_id, nlohmann::json message,
                                               std::string event_id) {
    PreparedMessage prepared = prepare(service, channel_customer_id, customer_id, std::move(message), std::move(event_id));
    IngestOutcome outcome{{}, prepared.record, prepared.event_id};
    if (prepared.starts_session) {
        outcome.result = start_session(prepared.record);
        if (!outcome.result.ok()) {
            directory_.forget(prepared.record.session_id);  // the next attempt starts afresh
            return outcome;
        }
    }
    outcome.result = host_.publish(prepared.event);
    if (outcome.result.ok() && !prepared.message_id.empty()) {
        directory_.remember_message(prepared.record.conversation_id, prepared.message_id, prepared.event_id);
    }
    return outcome;
}

void CustomerIngest::customer_message_async(const std::string& service, const std::string& channel_customer_id,
                                            const std::string& customer_id, nlohmann::json message,
                                            std::string event_id, std::function<void(IngestOutcome)> done) {
    PreparedMessage prepared = prepare(service, channel_customer_id, customer_id, std::move(message), std::move(event_id));
    IngestOutcome outcome{{}, prepared.record, prepared.event_id};
    if (prepared.starts_session) {
        // Not waited for: the journal keeps a conversation's events in order, so the message's commit carries the
        // session start too. Only a refusal known at once (busy, stopping, a failing store) stops here; a start
        // that fails in its commit fails the message's commit as well.
        struct StartOutcome {
            std::mutex mutex;
            bool returned = false;  // publish_async returned: a later completion is the commit's, not a refusal
            std::optional<cim::PublishResult> refused;
        };
        auto start = std::make_shared<StartOutcome>();
        host_.publish_async(start_session_event(prepared.record), [start](cim::PublishResult result) {
            std::lock_guard lock(start->mutex);
            if (!start->returned && !result.ok()) start->refused = std::move(result);
        });
        std::optional<cim::PublishResult> refused;
        {
            std::lock_guard lock(start->mutex);
            start->returned = true;
            refused = std::move(start->refused);
        }
        if (refused) {
            directory_.forget(prepared.record.session_id);  // the next attempt starts afresh
            outcome.result = std::move(*refused);
            return done(std::move(outcome));
        }
    }
    host_.publish_async(prepared.event, [this, outcome = std::move(outcome), message_id = prepared.message_id,
                                         done = std::move(done)](cim::PublishResult result) mutable {
        outcome.result = std::move(result);
        if (outcome.result.ok() && !message_id.empty()) {
            directory_.remember_message(outcome.record.conversation_id, message_id, outcome.event_id);
        }
        done(std::move(outcome));
    });
}

cim::PublishResult CustomerIngest::delivery_notification(const SessionRecord& record, const std::string& refers_to,
                                                         const std::string& status, cim::EmitterType emitter_type,
                                                         const std::string& emitter_id, const std::string& reason) {
    nlohmann::json data = {{"status", status}};
    if (const auto message_id = directory_.message_of_event(record.conversation_id, refers_to)) {
        data["messageId"] = *message_id;
    }
    if (!reason.empty()) data["reason"] = reason;
    return host_.publish(cim::OutgoingEvent("MESSAGE_DELIVERY_NOTIFICATION")
                             .conversation(record.conversation_id)
                             .channel_session(record.session_id)
                             .customer(record.customer_id)
                             .emitter(emitter_type, emitter_id)
                             .refers_to(refers_to)
                             .data(data));
}

cim::PublishResult CustomerIngest::end_session(const SessionRecord& record, cim::EmitterType emitter_type,
                                               const std::string& emitter_id) {
    auto result = host_.publish(cim::OutgoingEvent("CHANNEL_SESSION_ENDED")
                                    .conversation(record.conversation_id)
                                    .channel_session(record.session_id)
                                    .customer(record.customer_id)
                                    .emitter(emitter_type, emitter_id)
                                    .data(channel_session_json(record, "ENDED")));
    if (result.ok()) directory_.close(record.session_id);
    return result;
}

}  // namespace cim::channel
