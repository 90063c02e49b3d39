// Slows password guessing at the desk: every login attempt counts against its agent id and its client address until
// one succeeds; past `free_attempts` unproven attempts, the next is heard only after a delay that doubles with each
// further attempt (up to `max_delay`). Counting at submission, not at the hash's verdict, means a burst of concurrent
// guesses is cut off at once instead of after all of them were hashed.
//
// The trade-off, as everywhere: someone guessing at an agent's id from many addresses delays that agent's own login
// too (at most `max_delay`); the per-address count stops one machine from guessing at every id.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace cim::agent {

class LoginGuard {
public:
    LoginGuard(std::size_t free_attempts, std::chrono::milliseconds delay, std::chrono::milliseconds max_delay)
        : free_attempts_(free_attempts), delay_(delay), max_delay_(max_delay) {}

    /// Milliseconds until an attempt for `agent_id` (empty: an unknown id, counted by address only) from `address`
    /// is heard; 0 = now. On the desk's loop thread only, like every member.
    std::int64_t wait_ms(const std::string& agent_id, const std::string& address, std::int64_t now_ms) const;
    /// Counts an attempt that is about to be checked.
    void attempted(const std::string& agent_id, const std::string& address, std::int64_t now_ms);
    /// The attempt was right: the agent's and the address's counts start again.
    void succeeded(const std::string& agent_id, const std::string& address);

private:
    struct Record {
        std::size_t attempts = 0;
        std::int64_t blocked_until_ms = 0;
        std::int64_t last_ms = 0;
    };
    void count(const std::string& key, std::int64_t now_ms);
    std::int64_t wait_of(const std::string& key, std::int64_t now_ms) const;

    std::size_t free_attempts_;
    std::chrono::milliseconds delay_;
    std::chrono::milliseconds max_delay_;
    std::unordered_map<std::string, Record> records_;  // "agent\n" + id, "address\n" + ip
};

}  // namespace cim::agent
