#include "customer_ingest.hpp"

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

cim::PublishResult CustomerIngest::start_session(const SessionRecord& record) {
    return host_.publish(cim::OutgoingEvent("CHANNEL_SESSION_STARTED")
                             .conversation(record.conversation_id)
                             .channel_session(record.session_id)
                             .customer(record.customer_id)
                             .emitter(cim::EmitterType::connector, record.service)
                             .data(channel_session_json(record, "STARTED")));
}

IngestOutcome CustomerIngest::customer_message(const std::string& service, const std::string& channel_customer_id,
                                               const std::string& customer_id, nlohmann::json message,
                                               std::string event_id) {
    IngestOutcome outcome;
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
    outcome.record = found.record;
    if (found.created) {
        outcome.result = start_session(found.record);
        if (!outcome.result.ok()) {
            directory_.forget(found.record.session_id);  // the next attempt starts afresh
            return outcome;
        }
    }
    auto& header = message["header"];
    header["channelData"] = {{"channelCustomerIdentifier", channel_customer_id}, {"serviceIdentifier", service}};
    header["channelSessionId"] = found.record.session_id;
    header["conversationId"] = found.record.conversation_id;
    if (!header.contains("sender")) header["sender"] = {{"id", customer_id}, {"type", "CUSTOMER"}};
    const std::string message_id = message.value("id", std::string());
    const std::string sender_name = header["sender"].is_object() ? header["sender"].value("name", std::string()) : "";
    if (event_id.empty()) event_id = common::random_uuid();
    outcome.event_id = event_id;
    outcome.result = host_.publish(cim::OutgoingEvent("CUSTOMER_MESSAGE")
                                       .id(event_id)
                                       .conversation(found.record.conversation_id)
                                       .channel_session(found.record.session_id)
                                       .customer(customer_id)
                                       .emitter(cim::EmitterType::customer, customer_id, sender_name)
                                       .data(message));
    if (outcome.result.ok() && !message_id.empty()) {
        directory_.remember_message(found.record.conversation_id, message_id, event_id);
    }
    return outcome;
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
