// The agent plugin's [plugins.agent] table, typed; see README.md for every key.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin_common/http_server.hpp"
#include "plugin_common/http_types.hpp"

namespace cim::agent {

struct AgentAccount {
    std::string id;
    std::string name;
    int capacity = 2;           ///< conversations offered or owned at once (the schema's default)
    std::string password_hash;  ///< libsodium crypto_pwhash_str output, made by `cimrt hash-password`
    bool demo_hash = false;     ///< the hash is one shipped in the example runtime.toml: its password is public
};

struct AgentConfig {
    web::ListenAddress listen;
    web::HttpServerOptions server;  ///< allowed_origins, idle_timeout, max_connections... (plugin_common/server_limits)
    std::vector<AgentAccount> agents;
    std::size_t login_free_attempts = 5;
    std::chrono::milliseconds login_backoff{1000};
    std::chrono::milliseconds login_backoff_max{300000};
    std::size_t password_check_threads = 1;
    std::size_t max_pending_logins = 32;
    std::chrono::milliseconds accept_timeout{30000};
    std::chrono::milliseconds queue_timeout{120000};
    std::chrono::milliseconds response_timeout{180000};
    std::vector<std::string> wrapup_categories;
    bool escalate_on_bot_timeout = true;
    int auto_away_after_missed_offers = 3;              ///< 0 = never
    std::chrono::milliseconds session_timeout{28800000};  ///< a desk's session token lives this long (8h)

    static AgentConfig from_json(const nlohmann::json& config);
    static nlohmann::json schema();
};

}  // namespace cim::agent
