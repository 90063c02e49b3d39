#include "login_guard.hpp"

#include <algorithm>

namespace cim::agent {
namespace {

constexpr std::size_t max_records = 10000;  // a spray of addresses must not grow the map without bound

std::string agent_key(const std::string& id) { return "agent\n" + id; }
std::string address_key(const std::string& address) { return "address\n" + address; }

}  // namespace

std::int64_t LoginGuard::wait_of(const std::string& key, std::int64_t now_ms) const {
    const auto it = records_.find(key);
    if (it == records_.end()) return 0;
    return std::max<std::int64_t>(0, it->second.blocked_until_ms - now_ms);
}

std::int64_t LoginGuard::wait_ms(const std::string& agent_id, const std::string& address, std::int64_t now_ms) const {
    const std::int64_t by_address = wait_of(address_key(address), now_ms);
    return agent_id.empty() ? by_address : std::max(by_address, wait_of(agent_key(agent_id), now_ms));
}

void LoginGuard::count(const std::string& key, std::int64_t now_ms) {
    if (records_.size() >= max_records && records_.count(key) == 0) {
        // Forget what no longer slows anyone: records whose delay ran out long ago (a full window of max_delay).
        for (auto it = records_.begin(); it != records_.end();) {
            it = now_ms - it->second.last_ms > max_delay_.count() && it->second.blocked_until_ms <= now_ms ? records_.erase(it)
                                                                                                            : std::next(it);
        }
    }
    Record& r = records_[key];
    r.attempts += 1;
    r.last_ms = now_ms;
    if (r.attempts < free_attempts_) return;
    // The last free attempt already sets the first wait: the next attempt is the first one slowed.
    const std::size_t doublings = std::min<std::size_t>(r.attempts - free_attempts_, 30);
    const std::int64_t delay = std::min<std::int64_t>(delay_.count() << doublings, max_delay_.count());
    r.blocked_until_ms = now_ms + delay;
}

void LoginGuard::attempted(const std::string& agent_id, const std::string& address, std::int64_t now_ms) {
    count(address_key(address), now_ms);
    if (!agent_id.empty()) count(agent_key(agent_id), now_ms);
}

void LoginGuard::succeeded(const std::string& agent_id, const std::string& address) {
    records_.erase(address_key(address));
    if (!agent_id.empty()) records_.erase(agent_key(agent_id));
}

}  // namespace cim::agent
