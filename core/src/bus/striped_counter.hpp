// A counter that many threads add to on every event without sharing a cache line (issue 13: "per-thread counters").
//
// One std::atomic written by every publisher and every worker costs a cache-line transfer between cores on each
// increment; on the 2-core bench VM those transfers showed in the profile of every event. Here each thread adds to
// its own stripe (threads are given stripes round-robin when they first count), and a reader sums the stripes: adding
// stays a relaxed, uncontended increment, reading costs `stripes` loads. A snapshot, not a transaction — the same as
// the relaxed atomics it replaces.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace cim::core {

namespace striped_detail {
/// The calling thread's stripe, 0 <= k < count (count a power of two): assigned on first use, round-robin.
std::size_t this_thread_stripe(std::size_t count) noexcept;
}  // namespace striped_detail

class StripedCounter {
public:
    StripedCounter() = default;
    StripedCounter(const StripedCounter&) = delete;
    StripedCounter& operator=(const StripedCounter&) = delete;

    /// Adds `n` on the calling thread's stripe. Wait-free; touches no line another thread writes (up to `stripes`
    /// threads).
    void add(std::uint64_t n = 1) noexcept {
        stripes_[striped_detail::this_thread_stripe(stripes)].value.fetch_add(n, std::memory_order_relaxed);
    }
    /// The sum over all stripes: everything added before the call, and possibly some added during it.
    std::uint64_t load() const noexcept {
        std::uint64_t sum = 0;
        for (const Stripe& stripe : stripes_) sum += stripe.value.load(std::memory_order_relaxed);
        return sum;
    }
    operator std::uint64_t() const noexcept { return load(); }  // NOLINT: reads like the atomic it replaced

private:
    static constexpr std::size_t stripes = 8;  // more than the threads that count on a typical host
    struct alignas(64) Stripe {
        std::atomic<std::uint64_t> value{0};
    };
    std::array<Stripe, stripes> stripes_{};
};

}  // namespace cim::core
