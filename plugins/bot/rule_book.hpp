// The bot's knowledge: ordered rules, each a case-insensitive regular expression and what to answer when a customer's
// message matches it. The first matching rule wins.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cim::bot {

struct Rule {
    std::string pattern;               ///< as configured, for messages
    std::regex regex;
    std::string reply;
    std::vector<std::string> buttons;  ///< button titles (each title is also its payload)
    bool asks_for_agent = false;       ///< action = "agent": the customer wants a person
};

class RuleBook {
public:
    /// Compiles the `rules` array of the bot's config. @throws cim::Error naming the rule and the regex problem.
    static RuleBook from_json(const nlohmann::json& rules);

    /// The first rule matching `text`, if any.
    const Rule* match(const std::string& text) const;

private:
    std::vector<Rule> rules_;
};

}  // namespace cim::bot
