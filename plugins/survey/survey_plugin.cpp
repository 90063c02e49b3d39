// The survey plugin (a survey application, DESIGN §1): once a conversation an agent took part in is over, asks the
// customer one question as a BUTTON message through the channel; records the answer as an ACTIVITY_REACTION on the
// question and a CSAT activity (THIRD_PARTY_ACTIVITY, data.kind "CSAT") that `cimrt inspect csat` aggregates.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <cim/sdk.hpp>

#include "plugin_common/json_fields.hpp"

#include "plugin_common/random_id.hpp"
#include "survey_config.hpp"

namespace cim::survey {
namespace {

using common::string_at;
using common::object_at;

constexpr const char* app_id = "survey";

}  // namespace

class SurveyPlugin : public cim::Plugin {
public:
    explicit SurveyPlugin(const cim::PluginContext& context)
        : cim::Plugin(context), config_(SurveyConfig::from_json(config())) {}

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = "survey";
        m.version = "1.0.0";
        m.description = "a CSAT survey after conversations with an agent; answers recorded as reactions and activities";
        m.publishes = {"THIRD_PARTY_ACTIVITY", "ACTIVITY_REACTION"};
        m.consumes = {"AGENT_SUBSCRIBED", "AGENT_UNSUBSCRIBED", "WRAPUP_APPLIED",       "TOPIC_STATE_CHANGED",
                      "CHANNEL_SESSION_EXPIRED", "CUSTOMER_MESSAGE"};
        m.config_schema = SurveyConfig::schema();
        return m;
    }

    // Each conversation's survey is kept in the runtime's plugin state (key "survey" of the conversation's scope) and
    // read from there on every event: on_event never runs concurrently for one conversation, so there is nothing to
    // lock, and a restart or a reload loses no survey in progress — a wrap-up after it still triggers the question,
    // an answer after it is still matched. The runtime drops the entry with the conversation.
    void on_event(const cim::Event& event) {
        const std::string_view name = event.name();
        const std::string conversation_id(event.conversation_id());
        std::optional<Survey> kept = recall(conversation_id);
        if (name == "AGENT_SUBSCRIBED") {
            Survey s = kept.value_or(Survey{});
            s.customer_id = std::string(event.customer_id());
            s.channel_session_id = std::string(event.channel_session_id());
            s.agents.insert(std::string(event.emitter_id()));
            s.present.insert(std::string(event.emitter_id()));
            keep(conversation_id, s);
            return;
        }
        if (!kept) return;  // no agent took part: nothing to survey
        Survey& s = *kept;
        if (name == "AGENT_UNSUBSCRIBED") {
            s.present.erase(std::string(event.emitter_id()));
            if (config_.trigger == Trigger::agent_left && s.present.empty()) ask(conversation_id, s);
        } else if (name == "WRAPUP_APPLIED") {
            if (config_.trigger == Trigger::wrapup) ask(conversation_id, s);
        } else if (name == "CHANNEL_SESSION_EXPIRED") {
            s.expired = true;
            if (config_.on_expired && s.present.empty()) ask(conversation_id, s);
        } else if (name == "TOPIC_STATE_CHANGED") {
            if (string_at(event.data(), "to") != "CLOSED") return;
            if (config_.trigger == Trigger::closed) ask(conversation_id, s);
            s.closed = true;
            if (s.question_event_id.empty() || s.answered) {
                forget(conversation_id);  // closed and nothing pending: this conversation's survey is done
                return;
            }
            // Closed with the question unanswered: kept for a late answer, until the runtime evicts the conversation.
        } else if (name == "CUSTOMER_MESSAGE") {
            if (s.question_event_id.empty() || s.answered) return;  // nothing to take: nothing to write
            take_answer(conversation_id, s, event);
            if (s.answered && s.closed) {
                forget(conversation_id);
                return;
            }
        } else {
            return;
        }
        keep(conversation_id, s);
    }

private:
    struct Survey {
        std::string customer_id;
        std::string channel_session_id;
        std::set<std::string> agents;    // everyone who took part: the score is theirs
        std::set<std::string> present;   // agents still in the conversation
        bool expired = false;
        std::string question_event_id;   // set once asked: one survey per conversation
        std::string question_message_id;
        bool answered = false;
        bool closed = false;             // the conversation is CLOSED; kept only for a late answer
    };
    static constexpr std::string_view survey_key = "survey";

    std::optional<Survey> recall(const std::string& conversation_id) const {
        std::optional<nlohmann::json> j;
        try {
            j = host().get_json(conversation_id, survey_key);
        } catch (const cim::Error& e) {
            log().warn("the survey of " + conversation_id + " is unreadable and is dropped: " + e.what());
        }
        if (!j || !j->is_object()) return std::nullopt;
        Survey s;
        s.customer_id = j->value("customerId", "");
        s.channel_session_id = j->value("channelSessionId", "");
        s.agents = j->value("agents", std::set<std::string>{});
        s.present = j->value("present", std::set<std::string>{});
        s.expired = j->value("expired", false);
        s.question_event_id = j->value("questionEventId", "");
        s.question_message_id = j->value("questionMessageId", "");
        s.answered = j->value("answered", false);
        s.closed = j->value("closed", false);
        return s;
    }

    // A write the store refuses (a full disk) is logged: the survey goes on now, it only would not survive a restart.
    void keep(const std::string& conversation_id, const Survey& s) const {
        try {
            host().put_json(conversation_id, survey_key,
                            {{"customerId", s.customer_id},
                             {"channelSessionId", s.channel_session_id},
                             {"agents", s.agents},
                             {"present", s.present},
                             {"expired", s.expired},
                             {"questionEventId", s.question_event_id},
                             {"questionMessageId", s.question_message_id},
                             {"answered", s.answered},
                             {"closed", s.closed}});
        } catch (const cim::Error& e) {
            log().warn("the survey of " + conversation_id + " was not kept: " + e.what());
        }
    }

    void forget(const std::string& conversation_id) const {
        try {
            host().erase_state(conversation_id, survey_key);
        } catch (const cim::Error& e) {
            log().warn("the survey of " + conversation_id + " was not dropped: " + e.what());
        }
    }

    cim::OutgoingEvent from_survey(const char* name, const std::string& conversation_id, const Survey& s) const {
        return std::move(cim::OutgoingEvent(name)
                             .conversation(conversation_id)
                             .channel_session(s.channel_session_id)
                             .customer(s.customer_id)
                             .emitter(cim::EmitterType::app, app_id, "Survey"));
    }

    nlohmann::json message(const std::string& id, const std::string& text, bool with_buttons) const {
        nlohmann::json body = {{"type", with_buttons ? "BUTTON" : "PLAIN"}, {"markdownText", text}};
        if (with_buttons) {
            body["buttons"] = nlohmann::json::array();
            for (const auto& option : config_.options) {
                body["buttons"].push_back({{"type", "postback"}, {"title", option}, {"payload", option}});
            }
        }
        return {{"id", id}, {"header", {{"sender", {{"id", app_id}, {"type", "APP"}, {"name", "Survey"}}}}}, {"body", body}};
    }

    void ask(const std::string& conversation_id, Survey& s) {
        if (!s.question_event_id.empty()) return;
        if (s.expired && !config_.on_expired) return;
        const std::string event_id = common::random_uuid();
        const std::string message_id = "survey-" + common::random_uuid();
        nlohmann::json data = message(message_id, config_.question, true);
        data["survey"] = {{"kind", "CSAT_QUESTION"}, {"scale", config_.options.size()}};
        const auto result = publish(from_survey("THIRD_PARTY_ACTIVITY", conversation_id, s).id(event_id).data(data));
        if (!result.ok()) {
            log().warn("could not send the survey of " + conversation_id + ": " + result.error);
            return;
        }
        s.question_event_id = event_id;
        s.question_message_id = message_id;
    }

    // A button press answers the question by id; a typed answer counts when it is exactly one of the options.
    void take_answer(const std::string& conversation_id, Survey& s, const cim::Event& event) {
        if (s.question_event_id.empty() || s.answered) return;
        const nlohmann::json& data = event.data();
        const std::string replied_to = string_at(object_at(data, "header"), "replyToMessageId");
        if (!replied_to.empty() && replied_to != s.question_message_id) return;
        const nlohmann::json& body = object_at(data, "body");
        std::string answer = string_at(body, "payload");
        if (answer.empty()) answer = string_at(body, "markdownText");
        const auto option = std::find(config_.options.begin(), config_.options.end(), answer);
        if (option == config_.options.end()) return;
        const int score = static_cast<int>(option - config_.options.begin()) + 1;
        s.answered = true;
        const std::string customer(event.customer_id());
        const std::string answer_id(event.id());
        const auto reaction = publish(from_survey("ACTIVITY_REACTION", conversation_id, s)
                                          .emitter(cim::EmitterType::customer, customer)
                                          .refers_to(s.question_event_id)
                                          .data({{"reaction", answer}, {"score", score}, {"answerEventId", answer_id}}));
        const auto score_activity = publish(from_survey("THIRD_PARTY_ACTIVITY", conversation_id, s)
                                                .data({{"kind", "CSAT"},
                                                       {"score", score},
                                                       {"scale", config_.options.size()},
                                                       {"agentIds", s.agents},
                                                       {"questionEventId", s.question_event_id},
                                                       {"answerEventId", answer_id}}));
        if (!reaction.ok() || !score_activity.ok()) {
            log().error("the survey answer " + answer_id + " of " + conversation_id + " was not fully recorded: " +
                        (reaction.ok() ? score_activity.error : reaction.error));
        }
        if (!config_.thanks.empty()) {
            const auto thanks = publish(from_survey("THIRD_PARTY_ACTIVITY", conversation_id, s)
                                            .data(message("survey-" + common::random_uuid(), config_.thanks, false)));
            if (!thanks.ok()) log().warn("could not thank for " + answer_id + ": " + thanks.error);
        }
    }

    SurveyConfig config_;
};

}  // namespace cim::survey

CIM_PLUGIN(cim::survey::SurveyPlugin);
