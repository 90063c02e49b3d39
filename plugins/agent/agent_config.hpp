// The agent plugin's [plugins.agent] table, typed; see README.md for every key.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin_common/http_types.hpp"

namespace cim::agent {

struct AgentAccount {
    std::string id;
    std::string name;
    int capacity = 2;           ///< conversations offered or owned at once (the schema's default)
    std::string password_hash;  ///< libsodium crypto_pwhash_str output, made by `cimrt hash-password`
};

struct AgentConfig {
    web::ListenAddress listen;
    std::vector<AgentAccount> agents;
    std::chrono::milliseconds accept_timeout{30000};
    std::chrono::milliseconds queue_timeout{120000};
    std::chrono::milliseconds response_timeout{180000};
    std::vector<std::string> wrapup_categories;
    bool escalate_on_bot_timeout = true;

    static AgentConfig from_json(const nlohmann::json& config);
    static nlohmann::json schema();
};

}  // namespace cim::agent
