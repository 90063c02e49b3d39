#include "bot_config.hpp"

#include <cim/error.hpp>

#include "plugin_common/duration.hpp"
#include "plugin_common/http_types.hpp"

namespace cim::bot {
namespace {

using nlohmann::json;

json text(const char* fallback, const char* meaning) {
    return {{"type", "string"}, {"default", fallback}, {"description", meaning}};
}

json default_rules() {
    return json::array({
        {{"match", "\\b(agent|human|person|representative)\\b"}, {"reply", "Let me find an agent for you."}, {"action", "agent"}},
        {{"match", "\\b(hours|open|opening)\\b"},
         {"reply", "We are open Monday to Friday, 9:00 to 17:00."},
         {"buttons", json::array({"Talk to an agent"})}},
        {{"match", "\\b(hi|hello|hey)\\b"}, {"reply", "Hello! How can I help you today?"}},
        {{"match", "\\b(thanks|thank you)\\b"}, {"reply", "You're welcome!"}},
    });
}

}  // namespace

json BotConfig::schema() {
    const json rule = {
        {"type", "object"},
        {"required", {"match", "reply"}},
        {"properties",
         {{"match", {{"type", "string"}, {"minLength", 1}, {"description", "case-insensitive regular expression (ECMAScript)"}}},
          {"reply", {{"type", "string"}, {"minLength", 1}, {"description", "what the bot answers"}}},
          {"buttons", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "button titles under the reply"}}},
          {"action", {{"type", "string"}, {"enum", {"agent"}}, {"description", "\"agent\": the customer asks for an agent"}}}}}};
    return {{"type", "object"},
            {"properties",
             {{"id", {{"type", "string"}, {"default", "cimrt-bot"}, {"minLength", 1}, {"description", "the bot's participant id"}}},
              {"name", text("Cimmy", "the bot's display name")},
              {"welcome",
               text("Hi! I am Cimmy, the cimrt bot. Ask me about our opening hours, or type 'agent' to talk to a person.",
                    "sent when a customer's session starts; empty = none")},
              {"fallback", text("Sorry, I did not get that. Type 'agent' to talk to a person.", "the reply when no rule matches")},
              {"rules", {{"type", "array"}, {"items", rule}, {"default", default_rules()}, {"description", "ordered rules; the first match answers"}}},
              {"queued_reply", text("You are in the queue; an agent will be with you shortly.", "sent on TASK_ENQUEUED; empty = none")},
              {"no_agent_online_reply",
               text("No agent is online right now. You stay in the queue: an agent will answer as soon as one is back.",
                    "sent instead of queued_reply when no agent is logged in at all; empty = queued_reply")},
              {"reserved_reply", text("", "sent on the first AGENT_RESERVED of a wait (an offer can still be missed); empty = none")},
              {"no_agent_reply",
               text("Sorry, no agent is available right now. I am still here to help.", "sent on NO_AGENT_AVAILABLE; empty = none")},
              {"accept_timeout_reply",
               text("", "sent on ACCEPT_TIMEOUT (the customer never heard of the offer by default); empty = none")},
              {"agent_response_timeout_reply",
               text("Sorry for the wait, your agent will answer shortly.", "sent on AGENT_RESPONSE_TIMEOUT; empty = none")},
              {"suggestions",
               {{"type", "boolean"}, {"default", true}, {"description", "while an agent is in the conversation, suggest replies (BOT_SUGGESTION) instead of answering"}}},
              {"rasa_url", text("", "external bot: http:// URL of a Rasa REST webhook (/webhooks/rest/webhook); a reply with custom.handover = true asks for an agent; empty = rules only")},
              {"rasa_timeout",
               {{"type", "string"}, {"format", "duration"}, {"default", "5s"}, {"description", "wait for the external bot before BOT_TIMEOUT (other failures: BOT_NOT_AVAILABLE)"}}}}}};
}

BotConfig BotConfig::from_json(const json& config) {
    BotConfig c;
    c.id = config.at("id").get<std::string>();
    c.name = config.at("name").get<std::string>();
    c.welcome = config.at("welcome").get<std::string>();
    c.fallback = config.at("fallback").get<std::string>();
    c.rules = RuleBook::from_json(config.at("rules"));
    c.queued_reply = config.at("queued_reply").get<std::string>();
    c.reserved_reply = config.at("reserved_reply").get<std::string>();
    c.no_agent_online_reply = config.at("no_agent_online_reply").get<std::string>();
    c.no_agent_reply = config.at("no_agent_reply").get<std::string>();
    c.accept_timeout_reply = config.at("accept_timeout_reply").get<std::string>();
    c.agent_response_timeout_reply = config.at("agent_response_timeout_reply").get<std::string>();
    c.suggestions = config.at("suggestions").get<bool>();
    c.rasa_url = config.at("rasa_url").get<std::string>();
    c.rasa_timeout = common::parse_duration(config.at("rasa_timeout").get<std::string>());
    if (!c.rasa_url.empty()) {
        try {
            web::HttpUrl::parse(c.rasa_url);
        } catch (const std::invalid_argument& e) {
            throw cim::Error(std::string("bot: rasa_url: ") + e.what());
        }
    }
    return c;
}

}  // namespace cim::bot
