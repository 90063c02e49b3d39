#include "bus/shard.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

namespace cim::core {

Shard::Shard(boost::asio::io_context& io, std::size_t capacity, Processor processor, Count on_queued,
             Count on_processed)
    : io_(io),
      capacity_(capacity),
      processor_(std::move(processor)),
      on_queued_(std::move(on_queued)),
      on_processed_(std::move(on_processed)) {}

namespace {

// The worker the calling thread is (null: not a worker) and the shard waiting in its slot.
struct WorkerSlot {
    boost::asio::io_context* io = nullptr;
    Shard* next = nullptr;
};
thread_local WorkerSlot this_worker;

// How many woken shards a worker runs in a row before it leaves the rest to the pool: a chain of replies across
// conversations stays on one thread, but cannot keep it from the pool's queue for ever.
constexpr int max_deferred_in_a_row = 16;

}  // namespace

Shard::WorkerThread::WorkerThread(boost::asio::io_context& io) { this_worker = WorkerSlot{&io, nullptr}; }

Shard::WorkerThread::~WorkerThread() {
    run_deferred();
    this_worker = WorkerSlot{};
}

void Shard::run_deferred() {
    for (int ran = 0; this_worker.next != nullptr; ++ran) {
        Shard* next = std::exchange(this_worker.next, nullptr);
        if (ran == max_deferred_in_a_row) {
            next->post_batch(false);
            return;
        }
        next->run_batch();
    }
}

void Shard::post_batch(bool may_stay) {
    if (may_stay && this_worker.io == &io_ && this_worker.next == nullptr) {
        this_worker.next = this;
        return;
    }
    boost::asio::post(io_, [this] { run_batch(); });
}

void Shard::admit_unbounded(const Admit& admit) {
    bool schedule = false;
    {
        std::lock_guard lock(mutex_);
        Queue queue(*this);
        admit(queue);
        queue.report();
        if (!scheduled_ && front_ready()) schedule = scheduled_ = true;
    }
    if (schedule) post_batch();
}

void Shard::mark_durable(std::uint64_t ticket) {
    // Called on the store's writer thread, which must never wait for a shard's lock: an admission holding it may be
    // waiting for that very writer (SessionStage::bring_back waits until the journal is readable before it reads an
    // evicted conversation back). So when the lock is taken, the durable mark goes to the pool, which waits there.
    bool schedule = false;
    {
        std::unique_lock lock(mutex_, std::try_to_lock);
        if (!lock.owns_lock()) {
            boost::asio::post(io_, [this, ticket] {
                bool go = false;
                {
                    std::lock_guard held(mutex_);
                    go = apply_durable(ticket);
                }
                if (go) post_batch();
            });
            return;
        }
        schedule = apply_durable(ticket);
    }
    if (schedule) post_batch();
}

bool Shard::apply_durable(std::uint64_t ticket) {
    if (ticket <= durable_) return false;
    durable_ = ticket;
    if (scheduled_ || !front_ready()) return false;
    scheduled_ = true;
    return true;
}

void Shard::run_batch() {
    std::vector<Envelope> batch;
    {
        std::lock_guard lock(mutex_);
        // Only what is durable enough: an event waiting for its commit stops the batch, and everything behind it
        // waits too (per-conversation order); mark_durable schedules the shard again.
        batch.reserve(std::min(queue_.size(), max_batch));
        while (batch.size() < max_batch && front_ready()) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
    }
    for (Envelope& envelope : batch) {
        processor_(envelope);
        envelope.event.reset();  // the last consumer's reference, dropped before the turn ends
        depth_.fetch_sub(1, std::memory_order_release);  // per event: room for a publisher as soon as there is
    }
    // In flight until the whole turn is done: a drain() waits a turn longer, and the shared count is written once.
    if (!batch.empty()) on_processed_(batch.size());
    bool more = false;
    {
        std::lock_guard lock(mutex_);
        more = front_ready();
        scheduled_ = more;
    }
    // Re-post instead of looping, so other shards get the pool thread between batches.
    if (more) post_batch(false);
}

}  // namespace cim::core
