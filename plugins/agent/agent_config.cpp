#include "agent_config.hpp"

#include <set>
#include <stdexcept>

#include <cim/error.hpp>

#include "plugin_common/duration.hpp"

namespace cim::agent {

nlohmann::json AgentConfig::schema() {
    using nlohmann::json;
    const auto duration = [](const char* fallback, const char* meaning) {
        return json{{"type", "string"}, {"format", "duration"}, {"default", fallback}, {"description", meaning}};
    };
    const json account = {
        {"type", "object"},
        {"required", {"id", "password_hash"}},
        {"properties",
         {{"id", {{"type", "string"}, {"minLength", 1}, {"description", "login and participant id"}}},
          {"name", {{"type", "string"}, {"default", ""}, {"description", "display name; empty = the id"}}},
          {"capacity",
           {{"type", "integer"}, {"default", 2}, {"minimum", 1}, {"maximum", 50},
            {"description", "conversations offered to or owned by the agent at once"}}},
          {"password_hash",
           {{"type", "string"}, {"minLength", 1}, {"description", "salted hash made by `cimrt hash-password`"}}}}}};
    return {{"type", "object"},
            {"properties",
             {{"listen",
               {{"type", "string"},
                {"default", "127.0.0.1:8081"},
                {"description", "host:port of the agent desk (port 0 = any free port)"}}},
              {"agents", {{"type", "array"}, {"default", json::array()}, {"items", account}, {"description", "who may log in"}}},
              {"accept_timeout", duration("30s", "time an agent has to accept an offer before it goes to the next")},
              {"queue_timeout", duration("2m", "wait in the queue before NO_AGENT_AVAILABLE")},
              {"response_timeout", duration("3m", "customer waiting for the agent's answer before AGENT_RESPONSE_TIMEOUT")},
              {"wrapup_categories",
               {{"type", "array"},
                {"items", {{"type", "string"}, {"minLength", 1}}},
                {"default", json::array({"Resolved", "Follow-up needed", "Billing", "Complaint"})},
                {"description", "what an agent may choose at wrap-up"}}},
              {"escalate_on_bot_timeout",
               {{"type", "boolean"}, {"default", true}, {"description", "queue the conversation when the bot times out"}}}}}};
}

AgentConfig AgentConfig::from_json(const nlohmann::json& config) {
    AgentConfig c;
    try {
        c.listen = web::ListenAddress::parse(config.at("listen").get<std::string>());
    } catch (const std::invalid_argument& e) {
        throw cim::Error(std::string("agent: listen: ") + e.what());
    }
    c.accept_timeout = common::parse_duration(config.at("accept_timeout").get<std::string>());
    c.queue_timeout = common::parse_duration(config.at("queue_timeout").get<std::string>());
    c.response_timeout = common::parse_duration(config.at("response_timeout").get<std::string>());
    c.wrapup_categories = config.at("wrapup_categories").get<std::vector<std::string>>();
    c.escalate_on_bot_timeout = config.at("escalate_on_bot_timeout").get<bool>();
    std::set<std::string> ids;
    for (const auto& entry : config.at("agents")) {
        AgentAccount account{entry.at("id").get<std::string>(), entry.value("name", std::string()),
                             entry.value("capacity", 2), entry.at("password_hash").get<std::string>()};
        if (account.name.empty()) account.name = account.id;
        if (!ids.insert(account.id).second) throw cim::Error("agent: agents: the id '" + account.id + "' is used twice");
        if (account.password_hash.rfind("$argon2", 0) != 0 && account.password_hash.rfind("$7$", 0) != 0) {
            throw cim::Error("agent: agents: the password_hash of '" + account.id +
                             "' is not a hash made by `cimrt hash-password`");
        }
        c.agents.push_back(std::move(account));
    }
    return c;
}

}  // namespace cim::agent
