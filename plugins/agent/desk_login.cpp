#include "desk_login.hpp"

namespace cim::agent {

DeskLogin::DeskLogin(const AgentConfig& config, web::EventLoop& loop, const cim::Logger& log)
    : loop_(loop),
      log_(log),
      guard_(config.login_free_attempts, config.login_backoff, config.login_backoff_max),
      checker_(config.password_check_threads, config.max_pending_logins) {
    for (const AgentAccount& a : config.agents) {
        hashes_[a.id] = a.password_hash;
        // At load, so `cimrt check` shows it as well as `cimrt run`.
        if (a.demo_hash) {
            log_.warn("agent '" + a.id + "' uses a demo password hash shipped with cimrt (its password is public): "
                      "anyone can log in as '" + a.id + "'; make a real one with `cimrt hash-password`");
        }
    }
    // An unknown id is checked against a real account's hash (and refused whatever the result), so it costs the
    // same time as a known one: the answer's timing does not tell which ids exist.
    if (!config.agents.empty()) dummy_hash_ = config.agents.front().password_hash;
}

void DeskLogin::attempt(const web::ConnectionPtr& connection, const DeskFrame& frame, std::int64_t now_ms,
                        std::function<void(const web::ConnectionPtr&, const std::string& agent_id)> logged_in) {
    const std::string agent_id = frame.agent_id;
    const auto account = hashes_.find(agent_id);
    const bool known = account != hashes_.end();
    const std::string address = connection->peer_address();
    const std::string guarded_id = known ? agent_id : std::string();
    if (const std::int64_t wait = guard_.wait_ms(guarded_id, address, now_ms); wait > 0) {
        log_.warn("login for '" + agent_id + "' from " + address + " refused: too many attempts, next in " +
                  std::to_string(wait) + " ms");
        connection->send(login_refused_frame(wait).dump());
        connection->close();
        return;
    }
    guard_.attempted(guarded_id, address, now_ms);
    const std::string& hash = known ? account->second : dummy_hash_;
    // The verdict, back on the loop's thread.
    auto verdict = [this, connection, agent_id, address, logged_in = std::move(logged_in)](bool valid) {
        if (!valid) {
            log_.warn("failed agent login for '" + agent_id + "' from " + address);
            connection->send(desk_error_frame("invalid credentials").dump());
            connection->close();
            return;
        }
        guard_.succeeded(agent_id, address);
        if (connection->is_open()) logged_in(connection, agent_id);  // gone while checked: nothing to register
    };
    const bool queued = checker_.check(hash, frame.password, [this, known, verdict = std::move(verdict)](bool matches) {
        loop_.post([verdict, valid = known && matches] { verdict(valid); });
    });
    if (!queued) {
        connection->send(desk_error_frame("the desk is busy checking other logins; try again shortly").dump());
        connection->close();
    }
}

}  // namespace cim::agent
