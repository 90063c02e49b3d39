// The bot plugin's [plugins.bot] table, typed; see README.md for every key.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "rule_book.hpp"

namespace cim::bot {

struct BotConfig {
    std::string id;    ///< the bot's participant id
    std::string name;  ///< its display name
    std::string welcome;
    std::string fallback;
    RuleBook rules;
    std::string queued_reply;
    std::string reserved_reply;
    std::string no_agent_online_reply;
    std::string no_agent_reply;
    std::string accept_timeout_reply;
    std::string agent_response_timeout_reply;
    bool suggestions = true;
    std::string rasa_url;  ///< empty: rule-based only
    std::chrono::milliseconds rasa_timeout{5000};

    static BotConfig from_json(const nlohmann::json& config);
    static nlohmann::json schema();
};

}  // namespace cim::bot
