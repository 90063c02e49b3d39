// A shard: one bounded queue of events, processed one at a time in enqueue order on the bus's worker pool.
//
// Conversations hash onto shards, so a shard is what gives each conversation its publish order, and what lets
// different conversations run in parallel without a global lock. A shard is scheduled on the pool only while it has
// work, and then drains a batch per turn, so a hot shard amortises scheduling and a quiet one costs nothing.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>  // before any Boost.Asio header: Boost 1.74's awaitable.hpp needs it under C++20

#include <boost/asio/io_context.hpp>

#include "event/event.hpp"

namespace cim::core {

class Endpoint;

/// An accepted event on its way to consumers.
struct Envelope {
    Event event;
    const Endpoint* publisher = nullptr;  ///< never handed its own event back; nullptr = an external source
};

class Shard {
public:
    using Processor = std::function<void(Envelope&)>;

    /// `processor` runs for every event, on a pool thread, never concurrently with itself on this shard.
    Shard(boost::asio::io_context& io, std::size_t capacity, Processor processor);

    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;

    /// Queues `envelope` unless `capacity` events are already queued or being processed; then returns false and
    /// leaves `envelope` untouched. Thread-safe.
    bool try_push(Envelope& envelope);
    /// Events queued or being processed. Thread-safe.
    std::size_t depth() const noexcept { return depth_.load(std::memory_order_acquire); }
    std::size_t capacity() const noexcept { return capacity_; }

private:
    void run_batch();

    static constexpr std::size_t max_batch = 64;  // bounds how long one shard holds a pool thread per turn

    boost::asio::io_context& io_;
    const std::size_t capacity_;
    Processor processor_;
    std::mutex mutex_;
    std::deque<Envelope> queue_;
    bool scheduled_ = false;  // a run_batch is posted or running; guarded by mutex_
    std::atomic<std::size_t> depth_{0};
};

}  // namespace cim::core
