// The survey plugin's [plugins.survey] table, typed; see README.md for every key.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cim::survey {

/// When a conversation an agent took part in is surveyed.
enum class Trigger {
    agent_left,  ///< the last agent leaves (AGENT_UNSUBSCRIBED) — the customer is usually still there
    wrapup,      ///< an agent applies a wrap-up (WRAPUP_APPLIED)
    closed,      ///< the conversation becomes CLOSED (TOPIC_STATE_CHANGED)
};

struct SurveyConfig {
    Trigger trigger = Trigger::agent_left;
    bool on_expired = false;             ///< survey a conversation whose channel session expired, too
    std::string question;
    std::vector<std::string> options;    ///< worst to best; the score is the 1-based position
    std::string thanks;

    static SurveyConfig from_json(const nlohmann::json& config);
    static nlohmann::json schema();
};

}  // namespace cim::survey
