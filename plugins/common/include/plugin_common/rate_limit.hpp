// Rate limits the network surface applies to what a client may ask for: WebSocket messages per second on one socket,
// customer messages per session, new web chat visitors per address. Token buckets: a burst is allowed, a sustained
// rate is not. Not thread-safe: each is used on the loop's thread only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace cim::common {

/// `rate` tokens per `period`, at most `burst` saved up. Starts full.
class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    TokenBucket(double rate, std::chrono::milliseconds period, double burst)
        : per_ms_(period.count() > 0 ? rate / static_cast<double>(period.count()) : 0), burst_(burst), tokens_(burst) {}

    /// Takes one token at `now`; false (and nothing taken) when the bucket is empty.
    bool take(Clock::time_point now) {
        refill(now);
        if (tokens_ < 1) return false;
        tokens_ -= 1;
        return true;
    }

    /// True when the bucket is back to full at `now`: its key can be forgotten without changing any answer.
    bool full(Clock::time_point now) {
        refill(now);
        return tokens_ >= burst_;
    }

private:
    void refill(Clock::time_point now) {
        if (last_ != Clock::time_point{}) {
            const auto elapsed = std::chrono::duration<double, std::milli>(now - last_).count();
            tokens_ = std::min(burst_, tokens_ + std::max(0.0, elapsed) * per_ms_);
        }
        last_ = now;
    }

    double per_ms_;
    double burst_;
    double tokens_;
    Clock::time_point last_{};
};

/// One TokenBucket per key (an IP address), bounded in memory: past `max_keys`, keys whose bucket refilled are
/// forgotten, so a spray of addresses cannot grow it without limit (and a key at its limit is never forgotten early).
class KeyedRateLimit {
public:
    KeyedRateLimit(double rate, std::chrono::milliseconds period, std::size_t max_keys = 10000)
        : rate_(rate), period_(period), max_keys_(max_keys) {}

    bool take(const std::string& key, TokenBucket::Clock::time_point now) {
        auto it = buckets_.find(key);
        if (it == buckets_.end()) {
            if (buckets_.size() >= max_keys_) {
                for (auto b = buckets_.begin(); b != buckets_.end();) b = b->second.full(now) ? buckets_.erase(b) : std::next(b);
                if (buckets_.size() >= max_keys_) return false;  // every tracked address is at its limit: refuse
            }
            it = buckets_.emplace(key, TokenBucket(rate_, period_, rate_)).first;
        }
        return it->second.take(now);
    }

private:
    double rate_;
    std::chrono::milliseconds period_;
    std::size_t max_keys_;
    std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace cim::common
