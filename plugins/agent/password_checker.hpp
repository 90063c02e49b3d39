// Runs the desk's password checks (argon2id: deliberately slow, tens of milliseconds and 64 MiB each) on a small pool
// of threads of their own, so the desk's network thread keeps serving (pages, /healthz, other agents' frames) while
// logins are checked. Bounded: past `max_pending` waiting checks, a new one is refused at once.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cim::agent {

class PasswordChecker {
public:
    PasswordChecker(std::size_t threads, std::size_t max_pending);
    /// Joins the threads; checks still waiting are dropped (their `done` never runs).
    ~PasswordChecker();
    PasswordChecker(const PasswordChecker&) = delete;
    PasswordChecker& operator=(const PasswordChecker&) = delete;

    /// Queues a check of `password` against `hash`; `done(matches)` runs later on a checker thread (post it to where
    /// it belongs). Returns false, and never calls `done`, when `max_pending` checks already wait. Thread-safe.
    bool check(std::string hash, std::string password, std::function<void(bool matches)> done);
    /// Stops taking checks and joins the threads. Idempotent.
    void stop();

private:
    struct Job {
        std::string hash;
        std::string password;
        std::function<void(bool)> done;
    };
    void work();

    std::size_t max_pending_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace cim::agent
