// Who may log in at the desk: the configured accounts, their argon2id hashes checked off the network thread
// (PasswordChecker), repeated attempts slowed (LoginGuard). Answers a refused login itself (error frame, then the
// socket is closed); a valid one is handed back, on the loop's thread, for the plugin to register the desk.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>

#include <cim/logger.hpp>

#include "agent_config.hpp"
#include "desk_frame.hpp"
#include "login_guard.hpp"
#include "password_checker.hpp"
#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_server.hpp"

namespace cim::agent {

class DeskLogin {
public:
    /// `loop` is where verdicts come back; `log` gets refusals and the demo-hash warnings (at construction).
    DeskLogin(const AgentConfig& config, web::EventLoop& loop, const cim::Logger& log);

    /// A login frame, on the loop's thread. `now_ms` is the runtime's clock (the back-off runs on it); `logged_in`
    /// runs later on the loop's thread when the password matched and the connection is still open.
    void attempt(const web::ConnectionPtr& connection, const DeskFrame& frame, std::int64_t now_ms,
                 std::function<void(const web::ConnectionPtr&, const std::string& agent_id)> logged_in);
    /// Stops the checker's threads (before the loop stops: a verdict posted to a stopped loop is dropped).
    void stop() { checker_.stop(); }

private:
    std::unordered_map<std::string, std::string> hashes_;  // agent id → password hash
    std::string dummy_hash_;
    web::EventLoop& loop_;
    cim::Logger log_;
    LoginGuard guard_;  // the loop's thread only
    PasswordChecker checker_;
};

}  // namespace cim::agent
