#include "agent_config.hpp"

#include <set>
#include <stdexcept>

#include <cim/error.hpp>

#include "plugin_common/duration.hpp"
#include "plugin_common/server_limits.hpp"

namespace cim::agent {
namespace {

// The hashes of the demo accounts in the repository's runtime.toml (password "demo"): published, so an account that
// uses one is open to anyone who read the README. Loading warns about each (run and check alike).
constexpr const char* demo_hashes[] = {
    "$argon2id$v=19$m=65536,t=2,p=1$zFE/fcC5OL0fbPhlKVzuuQ$oY1f95gxqeoz9+SVNKLwe5JH+tvYSAbIoeHnDffTXfY",
    "$argon2id$v=19$m=65536,t=2,p=1$uD5YlOQpM5TTWsKiScq5Hg$DkJCOfwHsBVw28yeIx2UK/1afWP3ZwX6vpmoT4Ztbw4",
};

}  // namespace

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
    json schema = {{"type", "object"},
            {"properties",
             {{"listen",
               {{"type", "string"},
                {"default", "127.0.0.1:8081"},
                {"description", "host:port of the agent desk (port 0 = any free port)"}}},
              {"login_free_attempts",
               {{"type", "integer"}, {"default", 5}, {"minimum", 1}, {"maximum", 1000},
                {"description", "login attempts per agent id and per address before each next one waits"}}},
              {"login_backoff", duration("1s", "the first wait after the free attempts; doubled for each next attempt")},
              {"login_backoff_max", duration("5m", "the longest wait between login attempts")},
              {"password_check_threads",
               {{"type", "integer"}, {"default", 1}, {"minimum", 1}, {"maximum", 8},
                {"description", "threads checking passwords (argon2id, off the desk's network thread)"}}},
              {"max_pending_logins",
               {{"type", "integer"}, {"default", 32}, {"minimum", 1}, {"maximum", 10000},
                {"description", "password checks waiting at once; more logins are refused as busy"}}},
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
               {{"type", "boolean"}, {"default", true}, {"description", "queue the conversation when the bot times out"}}},
              {"auto_away_after_missed_offers",
               {{"type", "integer"}, {"default", 3}, {"minimum", 0}, {"maximum", 100},
                {"description", "offers an agent lets time out in a row before they are set AWAY; 0 = never"}}},
              {"session_timeout",
               duration("8h", "how long a desk's session token lets a reloaded desk back in without the password")}}}};
    const nlohmann::json limits = web::server_limits_schema();  // named: items() of a temporary would dangle
    for (const auto& [key, row] : limits.items()) schema["properties"][key] = row;
    return schema;
}

AgentConfig AgentConfig::from_json(const nlohmann::json& config) {
    AgentConfig c;
    try {
        c.listen = web::ListenAddress::parse(config.at("listen").get<std::string>());
    } catch (const std::invalid_argument& e) {
        throw cim::Error(std::string("agent: listen: ") + e.what());
    }
    c.server = web::server_limits_from_json(config, "agent");
    c.login_free_attempts = config.at("login_free_attempts").get<std::size_t>();
    c.login_backoff = common::parse_duration(config.at("login_backoff").get<std::string>());
    c.login_backoff_max = common::parse_duration(config.at("login_backoff_max").get<std::string>());
    c.password_check_threads = config.at("password_check_threads").get<std::size_t>();
    c.max_pending_logins = config.at("max_pending_logins").get<std::size_t>();
    c.accept_timeout = common::parse_duration(config.at("accept_timeout").get<std::string>());
    c.queue_timeout = common::parse_duration(config.at("queue_timeout").get<std::string>());
    c.response_timeout = common::parse_duration(config.at("response_timeout").get<std::string>());
    c.wrapup_categories = config.at("wrapup_categories").get<std::vector<std::string>>();
    c.escalate_on_bot_timeout = config.at("escalate_on_bot_timeout").get<bool>();
    c.auto_away_after_missed_offers = config.at("auto_away_after_missed_offers").get<int>();
    c.session_timeout = common::parse_duration(config.at("session_timeout").get<std::string>());
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
        for (const char* demo : demo_hashes) account.demo_hash = account.demo_hash || account.password_hash == demo;
        c.agents.push_back(std::move(account));
    }
    return c;
}

}  // namespace cim::agent
