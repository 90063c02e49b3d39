#include "rule_book.hpp"

#include <cim/error.hpp>

namespace cim::bot {

RuleBook RuleBook::from_json(const nlohmann::json& rules) {
    RuleBook book;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const auto& entry = rules[i];
        Rule rule;
        rule.pattern = entry.at("match").get<std::string>();
        try {
            rule.regex = std::regex(rule.pattern, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
        } catch (const std::regex_error& e) {
            throw cim::Error("bot: rules[" + std::to_string(i) + "].match: '" + rule.pattern +
                             "' is not a valid regular expression: " + e.what());
        }
        rule.reply = entry.at("reply").get<std::string>();
        rule.buttons = entry.value("buttons", std::vector<std::string>{});
        const std::string action = entry.value("action", std::string());
        if (!action.empty() && action != "agent") {
            throw cim::Error("bot: rules[" + std::to_string(i) + "].action: unknown action '" + action +
                             "' (the only action is \"agent\")");
        }
        rule.asks_for_agent = action == "agent";
        book.rules_.push_back(std::move(rule));
    }
    return book;
}

const Rule* RuleBook::match(const std::string& text) const {
    for (const Rule& rule : rules_) {
        if (std::regex_search(text, rule.regex)) return &rule;
    }
    return nullptr;
}

}  // namespace cim::bot
