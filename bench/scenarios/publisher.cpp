#include "scenarios/publisher.hpp"

#include <stdexcept>

namespace cim::bench {

std::uint64_t Publisher::publish_retrying(cim::runtime::Runtime& runtime, std::vector<std::string>& lines) {
    std::uint64_t busy = 0;
    for (;;) {
        const auto results = runtime.publish_many_json(lines);
        std::vector<std::string> again;
        for (std::size_t i = 0; i < results.size(); ++i) {
            if (results[i].accepted()) continue;
            if (results[i].status != cim::runtime::PublishStatus::busy) {
                throw std::runtime_error("an event was refused: " + results[i].error);
            }
            again.push_back(std::move(lines[i]));
        }
        if (again.empty()) return busy;
        busy += again.size();
        lines = std::move(again);  // the busy ones, still in order per conversation
        std::this_thread::yield();  // a shard is full: let the workers drain it
    }
}

void Publisher::prepare(std::size_t count) {
    batches_.clear();
    batches_.reserve(count / batch + 1);
    for (std::size_t i = 0; i < count; ++i) {
        if (i % batch == 0) batches_.emplace_back().reserve(batch);
        const WireEvent& event = traffic_[i];
        ids_[i] = stamped_id(i);
        batches_.back().push_back(
            event.with_ids(ids_[i], event.refers_to >= 0 ? ids_[static_cast<std::size_t>(event.refers_to)] : ""));
    }
}

std::uint64_t Publisher::flat_out(cim::runtime::Runtime& runtime) {
    std::uint64_t busy = 0;
    for (auto& lines : batches_) busy += publish_retrying(runtime, lines);
    return busy;
}

void Publisher::paced(cim::runtime::Runtime& runtime, std::size_t count, double events_per_s) {
    // What fell due since the last publish goes as one batch, as a producer hands over what has arrived; at a low
    // rate that is one event at a time. Ids are stamped when published: the latency is publish -> delivery.
    const auto start = std::chrono::steady_clock::now();
    const double interval_ns = 1e9 / events_per_s;
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < count;) {
        const auto due = start + std::chrono::nanoseconds(static_cast<long long>(interval_ns * static_cast<double>(i)));
        while (std::chrono::steady_clock::now() < due) {
            // Spin: sleeping would add the scheduler's wake-up latency to the figure being measured.
        }
        const auto now = std::chrono::steady_clock::now();
        lines.clear();
        for (; i < count && lines.size() < batch; ++i) {
            const auto due_i = start + std::chrono::nanoseconds(static_cast<long long>(interval_ns * static_cast<double>(i)));
            if (due_i > now && !lines.empty()) break;
            const WireEvent& event = traffic_[i];
            ids_[i] = stamped_id(i);
            lines.push_back(event.with_ids(ids_[i], event.refers_to >= 0 ? ids_[static_cast<std::size_t>(event.refers_to)] : ""));
        }
        publish_retrying(runtime, lines);
    }
}

}  // namespace cim::bench
