#include "password_checker.hpp"

#include <sodium.h>

#include "password.hpp"

namespace cim::agent {

PasswordChecker::PasswordChecker(std::size_t threads, std::size_t max_pending) : max_pending_(max_pending) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

PasswordChecker::~PasswordChecker() { stop(); }

void PasswordChecker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        jobs_.clear();
    }
    wake_.notify_all();
    for (auto& thread : threads_) {
        if (thread.joinable()) thread.join();
    }
}

bool PasswordChecker::check(std::string hash, std::string password, std::function<void(bool)> done) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || jobs_.size() >= max_pending_) return false;
        jobs_.push_back({std::move(hash), std::move(password), std::move(done)});
    }
    wake_.notify_one();
    return true;
}

void PasswordChecker::work() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        const bool matches = password_matches(job.hash, job.password);
        sodium_memzero(job.password.data(), job.password.size());  // no copy of a password outlives its check
        try {
            job.done(matches);
        } catch (...) {
            // `done` only posts to the desk's loop; a failure there must not end this thread (std::terminate).
        }
    }
}

}  // namespace cim::agent
