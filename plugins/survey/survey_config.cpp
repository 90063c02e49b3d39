#include "survey_config.hpp"

#include <set>

#include <cim/error.hpp>

namespace cim::survey {

nlohmann::json SurveyConfig::schema() {
    using nlohmann::json;
    return {{"type", "object"},
            {"properties",
             {{"trigger",
               {{"type", "string"},
                {"enum", {"agent_left", "wrapup", "closed"}},
                {"default", "agent_left"},
                {"description", "when to ask: the last agent leaves, a wrap-up is applied, or the conversation closes"}}},
              {"on_expired",
               {{"type", "boolean"}, {"default", false}, {"description", "also ask when the customer's session expired"}}},
              {"question",
               {{"type", "string"}, {"minLength", 1}, {"default", "How would you rate your conversation with us?"},
                {"description", "the question, sent as a BUTTON message"}}},
              {"options",
               {{"type", "array"},
                {"items", {{"type", "string"}, {"minLength", 1}}},
                {"default", json::array({"1", "2", "3", "4", "5"})},
                {"description", "the answers, worst to best; the score is the position (1 = worst)"}}},
              {"thanks",
               {{"type", "string"}, {"default", "Thank you for your feedback!"}, {"description", "sent after an answer; empty = none"}}}}}};
}

SurveyConfig SurveyConfig::from_json(const nlohmann::json& config) {
    SurveyConfig c;
    const std::string trigger = config.at("trigger").get<std::string>();
    c.trigger = trigger == "wrapup" ? Trigger::wrapup : trigger == "closed" ? Trigger::closed : Trigger::agent_left;
    c.on_expired = config.at("on_expired").get<bool>();
    c.question = config.at("question").get<std::string>();
    c.options = config.at("options").get<std::vector<std::string>>();
    c.thanks = config.at("thanks").get<std::string>();
    if (c.options.size() < 2) throw cim::Error("survey: options: at least two answers are needed");
    if (std::set<std::string>(c.options.begin(), c.options.end()).size() != c.options.size()) {
        throw cim::Error("survey: options: every answer must be different");
    }
    return c;
}

}  // namespace cim::survey
