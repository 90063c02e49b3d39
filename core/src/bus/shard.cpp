#include "bus/shard.hpp"

#include <algorithm>
#include <vector>

#include <boost/asio/post.hpp>

namespace cim::core {

Shard::Shard(boost::asio::io_context& io, std::size_t capacity, Processor processor)
    : io_(io), capacity_(capacity), processor_(std::move(processor)) {}

bool Shard::try_push(Envelope& envelope) {
    bool schedule = false;
    {
        std::lock_guard lock(mutex_);
        // depth_ counts events being processed too, so a consumer that blocks holds its events against the bound.
        if (depth_.load(std::memory_order_relaxed) >= capacity_) return false;
        depth_.fetch_add(1, std::memory_order_relaxed);
        queue_.push_back(std::move(envelope));
        if (!scheduled_) schedule = scheduled_ = true;
    }
    if (schedule) boost::asio::post(io_, [this] { run_batch(); });
    return true;
}

void Shard::run_batch() {
    std::vector<Envelope> batch;
    {
        std::lock_guard lock(mutex_);
        const std::size_t n = std::min(queue_.size(), max_batch);
        batch.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
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
        more = !queue_.empty();
        scheduled_ = more;
    }
    // Re-post instead of looping, so other shards get the pool thread between batches.
    if (more) boost::asio::post(io_, [this] { run_batch(); });
}

}  // namespace cim::core
