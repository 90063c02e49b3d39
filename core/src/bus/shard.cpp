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
        if (!scheduled_ && !queue_.empty()) schedule = scheduled_ = true;
    }
    if (schedule) post_batch();
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
    if (more) post_batch();
}

}  // namespace cim::core
