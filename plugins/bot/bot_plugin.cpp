// The bot plugin (the bot framework of DESIGN §1): answers customers from configured rules — or through an external
// bot speaking the Rasa REST contract — hands the conversation to an agent when asked, keeps the customer informed
// while they wait, and suggests replies to the agent once one has joined.
#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <cim/sdk.hpp>

#include "plugin_common/json_fields.hpp"

#include "bot_config.hpp"
#include "plugin_common/event_loop.hpp"
#include "plugin_common/random_id.hpp"
#include "rasa_client.hpp"

namespace cim::bot {
namespace {

using common::string_at;
using common::object_at;

// Where a reply goes: the conversation (and session, customer) of the event that prompted it.
struct Address {
    std::string conversation_id;
    std::string channel_session_id;
    std::string customer_id;
    std::string in_reply_to;  // the CIM message id answered, if any
};

Address address_of(const cim::Event& event) {
    Address a{std::string(event.conversation_id()), std::string(event.channel_session_id()),
              std::string(event.customer_id()), {}};
    if (event.name() == "CUSTOMER_MESSAGE") a.in_reply_to = string_at(event.data(), "id");
    return a;
}

}  // namespace

class BotPlugin : public cim::Plugin {
public:
    explicit BotPlugin(const cim::PluginContext& context) : cim::Plugin(context), config_(BotConfig::from_json(config())) {
        if (!config_.rasa_url.empty()) rasa_ = std::make_unique<RasaClient>(loop_, config_.rasa_url, config_.rasa_timeout);
        loop_.set_log([this](cim::LogLevel level, const std::string& message) { log().log(level, message); });
    }

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = "bot";
        m.version = "1.0.0";
        m.description = "a rule-based bot (or a Rasa REST bot): answers customers, asks for an agent, suggests replies";
        m.publishes = {"BOT_MESSAGE", "BOT_SUGGESTION", "ACTION_MESSAGE", "BOT_TIMEOUT", "BOT_NOT_AVAILABLE"};
        m.consumes = {"CHANNEL_SESSION_STARTED", "CUSTOMER_MESSAGE",    "TASK_ENQUEUED",          "AGENT_RESERVED",
                      "ACCEPT_TIMEOUT",          "NO_AGENT_AVAILABLE",  "AGENT_SUBSCRIBED",       "AGENT_UNSUBSCRIBED",
                      "AGENT_RESPONSE_TIMEOUT",  "WHISPER_MESSAGE",     "CHANNEL_SESSION_ENDED",  "CHANNEL_SESSION_EXPIRED",
                      "THIRD_PARTY_ACTIVITY"};
        m.config_schema = BotConfig::schema();
        return m;
    }

    void on_start() {
        if (rasa_) {
            loop_.start();
            log().info("answering through the external bot at " + config_.rasa_url);
        }
    }

    void on_event(const cim::Event& event) {
        const std::string_view name = event.name();
        const Address to = address_of(event);
        if (name == "CUSTOMER_MESSAGE") {
            answer(event, to);
        } else if (name == "CHANNEL_SESSION_STARTED") {
            say(to, config_.welcome);
        } else if (name == "TASK_ENQUEUED") {
            // Queued: the customer waits for a person, and the bot stays quiet until the wait is over.
            with_memory(to.conversation_id, [](Memory& m) {
                m.queued = true;
                m.told_reserved = false;
            });
            // Nobody to offer it to: no agent logged in, or (agentsReady, from an agent plugin with statuses) none of
            // them READY — either way the customer hears so at once, not "shortly".
            const auto count_of = [&](const char* key) {
                const auto it = event.data().is_object() ? event.data().find(key) : event.data().end();
                return it != event.data().end() && it->is_number_integer() ? it->get<long long>() : -1LL;
            };
            const long long ready = count_of("agentsReady");
            const bool nobody_online = (ready >= 0 ? ready : count_of("agentsOnline")) == 0;
            say(to, nobody_online && !config_.no_agent_online_reply.empty() ? config_.no_agent_online_reply
                                                                             : config_.queued_reply);
        } else if (name == "AGENT_RESERVED") {
            // An offer can still be missed and go to the next agent: the customer is told of it once per wait, so
            // nothing they read is taken back and said again.
            bool first = false;
            with_memory(to.conversation_id, [&](Memory& m) { first = !std::exchange(m.told_reserved, true); });
            if (first) say(to, config_.reserved_reply);
        } else if (name == "ACCEPT_TIMEOUT") {
            say(to, config_.accept_timeout_reply);
        } else if (name == "NO_AGENT_AVAILABLE") {
            with_memory(to.conversation_id, [](Memory& m) {
                m.asked_for_agent = false;
                m.queued = false;
            });
            say(to, config_.no_agent_reply);
        } else if (name == "THIRD_PARTY_ACTIVITY") {
            note_survey(to.conversation_id, event.data());
        } else if (name == "AGENT_RESPONSE_TIMEOUT") {
            say(to, config_.agent_response_timeout_reply);
        } else if (name == "AGENT_SUBSCRIBED") {
            with_memory(to.conversation_id, [](Memory& m) {
                ++m.agents;
                m.queued = false;
            });
        } else if (name == "AGENT_UNSUBSCRIBED") {
            // Only for a conversation still remembered: an agent leaving after the customer's session ended must not
            // bring back memory that was already dropped.
            with_memory(to.conversation_id, [](Memory& m) {
                if (m.agents > 0) --m.agents;
                if (m.agents == 0) m.asked_for_agent = false;  // the bot answers again, and can hand over again
            }, false);
        } else if (name == "WHISPER_MESSAGE") {
            // An agent whispering to the bot asks it for an answer: suggested to the agents, never shown the customer.
            if (!config_.suggestions) return;
            const std::string text = string_at(object_at(event.data(), "body"), "markdownText");
            if (const Rule* rule = config_.rules.match(text); rule && !rule->asks_for_agent) suggest(to, rule->reply, event);
        } else if (name == "CHANNEL_SESSION_ENDED" || name == "CHANNEL_SESSION_EXPIRED") {
            std::lock_guard lock(mutex_);
            forget(to.conversation_id);
        }
    }

    void on_stop() { loop_.stop(); }

private:
    // What the bot remembers of one conversation (dropped when its session ends). Kept in the runtime's plugin state,
    // key "bot" of the conversation's scope, and read from there on each use — the runtime holds it in memory, so a
    // read is a lookup, and there is no second copy to rebuild after a restart or a reload: a conversation an agent
    // took stays taken (the bot stays quiet), a button answer to the bot's question is still recognised.
    struct Memory {
        int agents = 0;                      // agents in the conversation: the bot stays quiet while there are any
        bool asked_for_agent = false;        // one hand-over request at a time
        std::deque<std::string> sent;        // ids of the bot's recent messages, to tell replies to them apart
        bool queued = false;                 // TASK_ENQUEUED seen, the wait not over: the bot stays quiet
        bool told_reserved = false;          // reserved_reply sent in this wait
        std::vector<std::string> survey_answers;  // a survey question is open: its answers are the survey's
    };
    static constexpr std::size_t sent_limit = 32;
    static constexpr std::string_view memory_key = "bot";

    // mutex_ serialises each read-modify-write of a conversation's memory between the worker delivering its events
    // and the external bot's thread answering for it. It is held over the state calls only: those never call back
    // into the plugin, and nothing is published under it.
    Memory recall(const std::string& conversation_id, bool& known) const {
        Memory m;
        known = false;
        std::optional<nlohmann::json> kept;
        try {
            kept = host().get_json(conversation_id, memory_key);
        } catch (const cim::Error& e) {
            log().warn("the bot's memory of " + conversation_id + " is unreadable, starting afresh: " + e.what());
        }
        if (!kept || !kept->is_object()) return m;
        known = true;
        m.agents = kept->value("agents", 0);
        m.asked_for_agent = kept->value("askedForAgent", false);
        for (const auto& id : kept->value("sent", nlohmann::json::array())) {
            if (id.is_string()) m.sent.push_back(id.get<std::string>());
        }
        m.queued = kept->value("queued", false);
        m.told_reserved = kept->value("toldReserved", false);
        for (const auto& answer : kept->value("surveyAnswers", nlohmann::json::array())) {
            if (answer.is_string()) m.survey_answers.push_back(answer.get<std::string>());
        }
        return m;
    }

    // A write the store refuses (a full disk) is logged: the bot still answers now, it only would not remember this
    // across a restart.
    void keep(const std::string& conversation_id, const Memory& m) const {
        try {
            host().put_json(conversation_id, memory_key,
                            {{"agents", m.agents},
                             {"askedForAgent", m.asked_for_agent},
                             {"sent", m.sent},
                             {"queued", m.queued},
                             {"toldReserved", m.told_reserved},
                             {"surveyAnswers", m.survey_answers}});
        } catch (const cim::Error& e) {
            log().warn("the bot's memory of " + conversation_id + " was not kept: " + e.what());
        }
    }

    void forget(const std::string& conversation_id) const {
        try {
            host().erase_state(conversation_id, memory_key);
        } catch (const cim::Error& e) {
            log().warn("the bot's memory of " + conversation_id + " was not dropped: " + e.what());
        }
    }

    // Applies `change` to the conversation's memory and keeps the result; with `create` false, only to a memory that
    // exists.
    template <typename Change>
    void with_memory(const std::string& conversation_id, Change&& change, bool create = true) {
        std::lock_guard lock(mutex_);
        bool known = false;
        Memory m = recall(conversation_id, known);
        if (!known && !create) return;
        change(m);
        keep(conversation_id, m);
    }

    // Reads without keeping anything (a customer message to a conversation the bot never spoke in writes nothing).
    Memory peek(const std::string& conversation_id) {
        std::lock_guard lock(mutex_);
        bool known = false;
        return recall(conversation_id, known);
    }

    void answer(const cim::Event& event, const Address& to) {
        const nlohmann::json& data = event.data();
        const nlohmann::json& body = object_at(data, "body");
        std::string text = string_at(body, "payload");  // a button's value says more than its title
        if (text.empty()) text = string_at(body, "markdownText");
        const std::string replied_to = string_at(object_at(data, "header"), "replyToMessageId");
        const Memory m = peek(to.conversation_id);
        const bool agents_present = m.agents > 0;
        // A button answer to someone else's question (the survey's) is not for the bot.
        const bool answered_elsewhere =
            !replied_to.empty() && std::find(m.sent.begin(), m.sent.end(), replied_to) == m.sent.end();
        if (answered_elsewhere || text.empty()) return;
        // Queued or offered to an agent: the customer waits for a person; a bot answer now would only contradict
        // "you are in the queue".
        if (m.queued) return;
        // A typed answer to the open survey question is the survey's to take (and to thank for).
        if (std::find(m.survey_answers.begin(), m.survey_answers.end(), text) != m.survey_answers.end()) return;
        if (agents_present) {
            const Rule* rule = config_.rules.match(text);
            if (config_.suggestions && rule && !rule->asks_for_agent) suggest(to, rule->reply, event);
            return;
        }
        if (rasa_) {
            ask_external_bot(to, text);
            return;
        }
        const Rule* rule = config_.rules.match(text);
        if (rule == nullptr) {
            say(to, config_.fallback);
            return;
        }
        std::vector<std::pair<std::string, std::string>> buttons;
        for (const auto& title : rule->buttons) buttons.emplace_back(title, title);
        say(to, rule->reply, buttons);
        if (rule->asks_for_agent) ask_for_agent(to);
    }

    // The survey's question (`data.survey.kind == "CSAT_QUESTION"`) opens a survey: its buttons' payloads are the
    // answers the survey takes, typed or pressed. Its CSAT record (`data.kind == "CSAT"`) closes it.
    void note_survey(const std::string& conversation_id, const nlohmann::json& data) {
        if (string_at(object_at(data, "survey"), "kind") == "CSAT_QUESTION") {
            std::vector<std::string> answers;
            const nlohmann::json& body = object_at(data, "body");
            const auto buttons = body.is_object() ? body.find("buttons") : body.end();
            if (buttons != body.end() && buttons->is_array()) {
                for (const auto& button : *buttons) {
                    std::string answer = string_at(button, "payload");
                    if (answer.empty()) answer = string_at(button, "title");
                    if (!answer.empty()) answers.push_back(std::move(answer));
                }
            }
            with_memory(conversation_id, [&](Memory& m) { m.survey_answers = std::move(answers); }, false);
        } else if (string_at(data, "kind") == "CSAT") {
            with_memory(conversation_id, [](Memory& m) { m.survey_answers.clear(); }, false);
        }
    }

    void ask_for_agent(const Address& to) {
        bool first = false;
        with_memory(to.conversation_id, [&](Memory& m) {
            first = !m.asked_for_agent;
            m.asked_for_agent = true;
        });
        if (!first) return;
        publish_or_log(cim::OutgoingEvent("ACTION_MESSAGE")
                           .conversation(to.conversation_id)
                           .channel_session(to.channel_session_id)
                           .customer(to.customer_id)
                           .emitter(cim::EmitterType::bot, config_.id, config_.name)
                           .data({{"action", "FIND_AGENT"}, {"reason", "the customer asked for an agent"}}));
    }

    void ask_external_bot(const Address& to, const std::string& text) {
        rasa_->ask(to.conversation_id, text, [this, to](RasaAnswer answer) {
            if (!answer.ok) {
                log().warn("external bot: " + answer.error);
                // Too slow is BOT_TIMEOUT; refused, broken or nonsense is BOT_NOT_AVAILABLE. The agent plugin can
                // take the conversation over on either.
                publish_or_log(cim::OutgoingEvent(answer.timed_out ? "BOT_TIMEOUT" : "BOT_NOT_AVAILABLE")
                                   .conversation(to.conversation_id)
                                   .channel_session(to.channel_session_id)
                                   .customer(to.customer_id)
                                   .emitter(cim::EmitterType::bot, config_.id, config_.name)
                                   .data({{"bot", config_.rasa_url},
                                          {"timeoutMs", config_.rasa_timeout.count()},
                                          {"reason", answer.error}}));
                return;
            }
            for (const RasaReply& reply : answer.replies) say(to, reply.text, reply.buttons);
            if (answer.hand_over) ask_for_agent(to);
        });
    }

    // BOT_MESSAGE to the customer: PLAIN, or BUTTON when it offers choices.
    void say(const Address& to, const std::string& text, const std::vector<std::pair<std::string, std::string>>& buttons = {}) {
        if (text.empty() || to.conversation_id.empty()) return;
        const std::string message_id = "bot-" + common::random_uuid();
        nlohmann::json body = {{"type", buttons.empty() ? "PLAIN" : "BUTTON"}, {"markdownText", text}};
        if (!buttons.empty()) {
            body["buttons"] = nlohmann::json::array();
            for (const auto& [title, payload] : buttons) {
                body["buttons"].push_back({{"type", "postback"}, {"title", title}, {"payload", payload}});
            }
        }
        nlohmann::json header = {{"sender", {{"id", config_.id}, {"type", "BOT"}, {"name", config_.name}}}};
        if (!to.in_reply_to.empty()) header["replyToMessageId"] = to.in_reply_to;
        with_memory(to.conversation_id, [&](Memory& m) {
            m.sent.push_back(message_id);
            if (m.sent.size() > sent_limit) m.sent.pop_front();
        });
        publish_or_log(cim::OutgoingEvent("BOT_MESSAGE")
                           .conversation(to.conversation_id)
                           .channel_session(to.channel_session_id)
                           .customer(to.customer_id)
                           .emitter(cim::EmitterType::bot, config_.id, config_.name)
                           .data({{"id", message_id}, {"header", header}, {"body", body}}));
    }

    // BOT_SUGGESTION for the agents: a reply they may use; it refers to the message it would answer.
    void suggest(const Address& to, const std::string& text, const cim::Event& prompt) {
        publish_or_log(cim::OutgoingEvent("BOT_SUGGESTION")
                           .conversation(to.conversation_id)
                           .channel_session(to.channel_session_id)
                           .customer(to.customer_id)
                           .emitter(cim::EmitterType::bot, config_.id, config_.name)
                           .data({{"suggestion", text}, {"forEvent", std::string(prompt.id())}}));
    }

    void publish_or_log(const cim::OutgoingEvent& event) {
        const auto result = publish(event);
        if (!result.ok()) log().warn("could not publish " + event.name() + ": " + result.error);
    }

    BotConfig config_;
    web::EventLoop loop_;
    std::unique_ptr<RasaClient> rasa_;
    std::mutex mutex_;
};

}  // namespace cim::bot

CIM_PLUGIN(cim::bot::BotPlugin);
