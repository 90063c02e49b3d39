// A shard: one bounded queue of events, processed one at a time in enqueue order on the bus's worker pool.
//
// Conversations hash onto shards, so a shard is what gives each conversation its publish order, and what lets
// different conversations run in parallel without a global lock. Admission (tracking, journaling) runs under the
// shard's lock on the publisher's thread; delivery runs on the pool. A shard is scheduled on the pool only while it
// has work, and then drains a batch per turn, so a hot shard amortises scheduling and a quiet one costs nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>  // before any Boost.Asio header: Boost 1.74's awaitable.hpp needs it under C++20

#include <boost/asio/io_context.hpp>

#include "bus/admission.hpp"
#include "event/event.hpp"

namespace cim::core {

class Endpoint;

/// An accepted event on its way to consumers.
struct Envelope {
    EventPtr event;                       ///< shared with the journal's buffer and every other consumer
    const Endpoint* publisher = nullptr;  ///< never handed its own event back; nullptr = an external source
    std::uint64_t durable_ticket = 0;     ///< delivered only once the shard's journal is durable up to it (0: at once)
    std::int64_t queued_ns = 0;           ///< steady-clock time it was queued: publish → delivery latency
};

class Shard {
public:
    using Processor = std::function<void(Envelope&)>;
    using Admit = std::function<void(Admission&)>;  // for callers off the hot path (timers, queries)

    /// Told how many events one call queued, or one turn processed: the bus counts them in flight. Once per call and
    /// per turn, not per event: the count is a cache line every publisher and worker writes.
    using Count = std::function<void(std::size_t)>;

    /// `processor` runs for every queued event, on a pool thread, never concurrently with itself on this shard.
    /// `on_queued(n)` is called under the shard's lock once a call has queued n > 0 events; `on_processed(n)` after a
    /// turn's n events have all been processed.
    Shard(boost::asio::io_context& io, std::size_t capacity, Processor processor, Count on_queued, Count on_processed);

    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;

    /// Runs `admit(Admission&)` under the shard's lock unless `capacity` events are already queued or being processed;
    /// returns false (running nothing) when full. Thread-safe. A template: publish calls it for every event, and a
    /// std::function there would allocate per call.
    template <typename AdmitFn>
    bool try_admit(AdmitFn&& admit) {
        bool schedule = false;
        {
            std::lock_guard lock(mutex_);
            // depth_ counts events being processed too, so a consumer that blocks holds its events against the bound.
            if (depth_.load(std::memory_order_relaxed) >= capacity_) return false;
            Queue queue(*this);
            admit(static_cast<Admission&>(queue));
            queue.report();
            if (!scheduled_ && front_ready()) schedule = scheduled_ = true;
        }
        if (schedule) post_batch();
        return true;
    }
    /// try_admit for a batch: under one lock, calls `admit_one(k, Admission&)` for k = 0, 1, ... while k < `count`,
    /// the shard has room and the previous call returned true; then at most one wake-up. Returns how many calls were
    /// made (the events from there on were not admitted: the shard is full, or admit_one refused one).
    template <typename AdmitOne>
    std::size_t try_admit_many(std::size_t count, AdmitOne&& admit_one) {
        bool schedule = false;
        std::size_t called = 0;
        {
            std::lock_guard lock(mutex_);
            Queue queue(*this);
            while (called < count && depth_.load(std::memory_order_relaxed) < capacity_) {
                const bool go_on = admit_one(called, static_cast<Admission&>(queue));
                ++called;
                if (!go_on) break;
            }
            queue.report();
            if (!scheduled_ && front_ready()) schedule = scheduled_ = true;
        }
        if (schedule) post_batch();
        return called;
    }
    /// The shard's journal is durable up to `ticket`: deliveries waiting for it may go. Thread-safe (the store's
    /// writer calls it).
    void mark_durable(std::uint64_t ticket);
    /// Runs `admit` under the shard's lock whatever the depth: for the runtime's own events (expiry), which must not
    /// be refused. Thread-safe.
    void admit_unbounded(const Admit& admit);
    /// Events queued or being processed. Thread-safe.
    std::size_t depth() const noexcept { return depth_.load(std::memory_order_acquire); }
    std::size_t capacity() const noexcept { return capacity_; }

    /// Marks the calling thread as a worker of `io` while it lives (Bus::run_worker). On a worker, a publish that
    /// wakes an idle shard does not post it to the pool: the shard waits in the worker's own slot and runs on the same
    /// thread as soon as the current handler returns (run_deferred) — no wake-up of another worker, no hand-over to
    /// another core, the event still in cache. A plugin replying from on_event pays nothing for the hand-off.
    class WorkerThread {
    public:
        explicit WorkerThread(boost::asio::io_context& io);
        ~WorkerThread();
        WorkerThread(const WorkerThread&) = delete;
        WorkerThread& operator=(const WorkerThread&) = delete;
    };
    /// Runs the shards a handler on this worker woke (see WorkerThread), a bounded number in a row so the pool's
    /// queue is never starved; what is left goes to the pool. Call between two handlers, on a worker thread.
    static void run_deferred();

private:
    // The Admission handed to admit functions: queues under the lock the caller already holds.
    class Queue final : public Admission {
    public:
        explicit Queue(Shard& shard) : shard_(shard) {}
        void deliver(EventPtr event, const Endpoint* publisher, std::uint64_t durable_ticket) override {
            if (queued_ns_ == 0) queued_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
            shard_.queue_.push_back(Envelope{std::move(event), publisher, durable_ticket, queued_ns_});
            shard_.depth_.fetch_add(1, std::memory_order_relaxed);  // at once: the next admission checks the bound
            ++queued_;
        }
        // Tells the bus what this admission queued, once. Under the shard's lock, before the lock is released.
        void report() {
            if (queued_ == 0) return;
            shard_.on_queued_(queued_);
            queued_ = 0;
        }

    private:
        Shard& shard_;
        std::size_t queued_ = 0;
        std::int64_t queued_ns_ = 0;  // read once per admission call: the events of one batch share it
    };

    // Schedules run_batch: in this worker's slot when `may_stay` and the calling thread is a worker of io_ whose slot
    // is free, on the pool otherwise.
    void post_batch(bool may_stay = true);
    void run_batch();
    // Records that the journal is durable up to `ticket`; whether the shard must now be scheduled. Under mutex_.
    bool apply_durable(std::uint64_t ticket);
    // Whether the oldest queued event may be delivered now. Under mutex_.
    bool front_ready() const { return !queue_.empty() && queue_.front().durable_ticket <= durable_; }

    static constexpr std::size_t max_batch = 64;  // bounds how long one shard holds a pool thread per turn

    boost::asio::io_context& io_;
    const std::size_t capacity_;
    Processor processor_;
    Count on_queued_;
    Count on_processed_;
    std::mutex mutex_;
    std::deque<Envelope> queue_;
    bool scheduled_ = false;  // a run_batch is posted or running; guarded by mutex_
    std::uint64_t durable_ = 0;  // the journal's durable ticket for this shard; guarded by mutex_
    std::atomic<std::size_t> depth_{0};
};

}  // namespace cim::core
