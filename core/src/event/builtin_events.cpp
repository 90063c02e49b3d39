#include "event/builtin_events.hpp"

namespace cim::core {
namespace {

constexpr EventType activity = EventType::activity;
constexpr EventType suggestion = EventType::suggestion;
constexpr EventType message = EventType::message;
constexpr EventType notification = EventType::notification;

// Every event belongs to a conversation unless its row says otherwise (the default of `required_fields`). The
// exceptions come from the seed: a message is always linked to its customer; session and call-leg events are about
// one channel session; updates (reaction, modification, delivery) point at the activity they update; a wrap-up and a
// third-party activity may stand outside a conversation as long as they are anchored somewhere.
constexpr std::uint32_t conversation_and_customer = requires_conversation_id | requires_customer_id;
constexpr std::uint32_t conversation_and_session = requires_conversation_id | requires_channel_session_id;
constexpr std::uint32_t conversation_and_refers_to = requires_conversation_id | requires_refers_to;

constexpr BuiltinEvent builtin_table[] = {
    // Activities and messages between the actors.
    {.name = "CUSTOMER_MESSAGE", .type = activity, .description = "a customer sent a message",
     .required_fields = conversation_and_customer},
    {.name = "AGENT_MESSAGE", .type = activity, .description = "an agent sent a message"},
    {.name = "BOT_MESSAGE", .type = activity, .description = "a bot sent a message"},
    {.name = "BOT_SUGGESTION", .type = suggestion,
     .description = "a bot suggests a reply or action, shown to the agent only"},
    {.name = "WHISPER_MESSAGE", .type = message,
     .description = "an internal message between agents and bots, never shown to the customer"},
    {.name = "ACTION_MESSAGE", .type = message,
     .description = "a bot asks for an action, e.g. find an agent or end the conversation"},

    // Channel sessions.
    {.name = "CHANNEL_SESSION_STARTED", .type = notification,
     .description = "a customer's presence was detected on a channel", .required_fields = conversation_and_session},
    {.name = "CHANNEL_SESSION_ENDED", .type = notification, .description = "a customer's channel session ended",
     .required_fields = conversation_and_session},
    {.name = "CHANNEL_SESSION_EXPIRED", .type = notification,
     .description = "a channel session ended after customer inactivity; payload: the ChannelSession",
     .required_fields = conversation_and_session},
    {.name = "CHANNEL_SESSION_DATA_UPDATED", .type = notification,
     .description = "a channel session's data changed; payload: the ChannelSession",
     .required_fields = conversation_and_session},

    // Agents and routing.
    {.name = "AGENT_RESERVED", .type = notification, .description = "an agent was reserved for the conversation"},
    {.name = "AGENT_SUBSCRIBED", .type = notification, .description = "an agent joined the conversation"},
    {.name = "AGENT_UNSUBSCRIBED", .type = notification, .description = "an agent left the conversation"},
    {.name = "NO_AGENT_AVAILABLE", .type = notification, .description = "no agent is available for the conversation"},
    {.name = "TASK_ENQUEUED", .type = activity, .description = "a routing task was queued for the conversation"},
    {.name = "TASK_STATE_CHANGED", .type = notification,
     .description = "a routing task changed state; payload: the task"},
    {.name = "REVOKE_RESOURCE", .type = notification, .description = "a reserved resource (agent) was revoked"},
    {.name = "ACCEPT_TIMEOUT", .type = notification, .description = "an agent did not accept an offer in time"},
    {.name = "AGENT_RESPONSE_TIMEOUT", .type = notification,
     .description = "the agent response SLA expired"},
    {.name = "CUSTOMER_RESPONSE_TIMEOUT", .type = notification,
     .description = "the customer did not respond in time"},
    {.name = "BOT_TIMEOUT", .type = notification,
     .description = "the bot did not respond to a customer message in time"},
    {.name = "BOT_NOT_AVAILABLE", .type = notification, .description = "no bot is available for the conversation"},
    {.name = "MRD_INTERRUPTED", .type = notification,
     .description = "the routing engine interrupted a media routing domain"},

    // The conversation.
    {.name = "TOPIC_STATE_CHANGED", .type = notification, .description = "the conversation changed state"},
    {.name = "ASSOCIATED_CUSTOMER_CHANGED", .type = notification,
     .description = "the conversation was moved to another customer", .required_fields = conversation_and_customer},
    {.name = "CONVERSATION_DATA_CHANGED", .type = notification,
     .description = "the conversation's data changed; payload: a key-value map"},
    {.name = "PARTICIPANT_ROLE_CHANGED", .type = notification,
     .description = "a participant's role in the conversation changed"},
    {.name = "WRAPUP_APPLIED", .type = activity, .description = "an agent wrapped up a conversation or session",
     .required_fields = requires_nothing,
     .required_any_of = requires_channel_session_id | requires_conversation_id,
     .any_of_rule = "a wrap-up must carry a channel session or conversation id"},
    {.name = "EWT_MESSAGE", .type = activity, .description = "the customer was told the expected wait time"},
    {.name = "AGENT_OUTBOUND", .type = activity, .description = "an agent started an outbound contact"},

    // Calls.
    {.name = "CALL_LEG_ENDED", .type = activity, .description = "a leg of a call ended",
     .required_fields = conversation_and_session},
    {.name = "CALL_HOLD", .type = notification, .description = "a call was put on hold",
     .required_fields = conversation_and_session},
    {.name = "CALL_RESUME", .type = notification, .description = "a held call was resumed",
     .required_fields = conversation_and_session},

    // Third parties.
    {.name = "THIRD_PARTY_ACTIVITY", .type = notification,
     .description = "an outside application recorded an activity (IVR, recording link, survey, ...)",
     .required_fields = requires_nothing,
     .required_any_of = requires_customer_id | requires_channel_session_id | requires_conversation_id,
     .any_of_rule = "a third-party activity must carry a customer, channel session or conversation id"},

    // Updates of an earlier activity, each pointing at it with refersTo.
    {.name = "ACTIVITY_REACTION", .type = notification,
     .description = "a reaction to an activity: an emoji, a flag, a reply to a structured message",
     .required_fields = conversation_and_refers_to},
    {.name = "ACTIVITY_MODIFIED", .type = notification, .description = "an activity was edited or deleted",
     .required_fields = conversation_and_refers_to},
    {.name = "MESSAGE_DELIVERY_NOTIFICATION", .type = notification,
     .description = "a message was delivered, read or failed", .required_fields = conversation_and_refers_to},
};

constexpr BuiltinAlias alias_table[] = {
    {.alias = "TOPIC_STATE_CHANGE_EVENT", .canonical = "TOPIC_STATE_CHANGED"},
    {.alias = "AGENT_ACCEPT_TIMEOUT", .canonical = "ACCEPT_TIMEOUT"},
    {.alias = "AGENT_MRD_INTERRUPTED", .canonical = "MRD_INTERRUPTED"},
};

}  // namespace

std::span<const BuiltinEvent> builtin_events() noexcept { return builtin_table; }

std::span<const BuiltinAlias> builtin_event_aliases() noexcept { return alias_table; }

}  // namespace cim::core
