#include "bus/shard.hpp"

#include <algorithm>
#include <vector>

#include <boost/asio/post.hpp>

namespace cim::core {

Shard::Shard(boost::asio::io_context& io, std::size_t capacity, Processor processor, std::function<void()> on_queued)
    : io_(io), capacity_(capacity), processor_(std::move(processor)), on_queued_(std::move(on_queued)) {}

void Shard::post_batch() { boost::asio::post(io_, [this] { run_batch(); }); }

void Shard::admit_unbounded(const Admit& admit) {
    bool schedule = false;
    {
        std::lock_guard lock(mutex_);
        Queue queue(*this);
        admit(queue);
        if (!scheduled_ && front_ready()) schedule = scheduled_ = true;
    }
    if (schedule) post_batch();
}

void Shard::mark_durable(std::uint64_t ticket) {
    bool schedule = false;
    {
        std::lock_guard lock(mutex_);
        if (ticket <= durable_) return;
        durable_ = ticket;
        if (!scheduled_ && front_ready()) schedule = scheduled_ = true;
    }
    if (schedule) post_batch();
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
        depth_.fetch_sub(1, std::memory_order_release);
    }
    bool more = false;
    {
        std::lock_guard lock(mutex_);
        more = front_ready();
        scheduled_ = more;
    }
    // Re-post instead of looping, so other shards get the pool thread between batches.
    if (more) post_batch();
}

}  // namespace cim::core
