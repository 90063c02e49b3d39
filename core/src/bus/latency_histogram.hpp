// Publish → delivery latency, as a histogram with fixed bounds: what /metrics exposes as
// cimrt_delivery_latency_seconds. Observed once per delivered event, on the worker, from the time its admission
// queued it (one clock read per admission call on the publisher's side, one per event on the worker's); striped per
// thread like every counter on the hot path.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

#include "bus/striped_counter.hpp"

namespace cim::core {

class LatencyHistogram {
public:
    /// Upper bounds in seconds: 10 µs .. 10 s, roughly ×2.5 apart — the budget (1 ms) falls on a bound.
    static constexpr std::array<double, 13> bounds = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                      0.0025,  0.005,    0.01,    0.1,    1.0,     10.0};

    void observe(std::chrono::nanoseconds elapsed) noexcept {
        const double seconds = std::chrono::duration<double>(elapsed).count();
        std::size_t i = 0;
        while (i < bounds.size() && seconds > bounds[i]) ++i;
        buckets_[i].add();
        sum_ns_.add(static_cast<std::uint64_t>(elapsed.count() < 0 ? 0 : elapsed.count()));
    }
    /// Per bucket, not cumulative; the last is above the last bound.
    std::vector<std::uint64_t> counts() const {
        std::vector<std::uint64_t> out;
        for (const StripedCounter& bucket : buckets_) out.push_back(bucket.load());
        return out;
    }
    double sum_seconds() const noexcept { return static_cast<double>(sum_ns_.load()) / 1e9; }

private:
    std::array<StripedCounter, bounds.size() + 1> buckets_;
    StripedCounter sum_ns_;
};

}  // namespace cim::core
