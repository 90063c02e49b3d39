// A desk's session: the token a welcome hands the page, so a reloaded page comes back (`resume`) without asking for
// the password again — and without the page ever keeping the password. Each token is 128 random bits and lives
// `session_timeout` from the password login that issued it; a resume does not extend it (after a shift the agent
// types the password again). It is not spent by a resume: a connection that drops between the resume and its
// welcome must be able to try again, and the page only ever holds the one token.
//
// Kept in the plugin's memory only, like everything of an agent (README "State"): a restart of the runtime ends
// every session, and the desk falls back to the login form. Only a digest of each token is held (a memory dump
// yields none that work). An expired session is remembered one lifetime more, to tell "expired" from "unknown".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace cim::agent {

/// Thread-safety: none; the desk's loop thread only.
class DeskSessions {
public:
    explicit DeskSessions(std::chrono::milliseconds lifetime) : lifetime_(lifetime) {}

    /// A new session for `agent_id`: `{"token", "expiresAt"}` (ms since the epoch, the runtime's clock), for the welcome.
    nlohmann::json issue(const std::string& agent_id, std::int64_t now_ms);

    struct Redeemed {
        std::string agent_id;  ///< empty: refused
        std::string error;     ///< why, for the desk: expired, or unknown
        nlohmann::json session;  ///< `{"token", "expiresAt"}` again, for the welcome
    };
    /// The agent `token` was issued to. Expired or unknown → `error`, worded for the agent (log in again).
    Redeemed redeem(const std::string& token, std::int64_t now_ms);

    std::size_t size() const { return by_digest_.size(); }

private:
    struct Session {
        std::string agent_id;
        std::int64_t expires_at_ms = 0;
    };
    void drop_expired(std::int64_t now_ms);

    std::chrono::milliseconds lifetime_;
    std::unordered_map<std::string, Session> by_digest_;
};

}  // namespace cim::agent
