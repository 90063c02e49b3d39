#include "scenarios/publisher.hpp"

#include <stdexcept>

namespace cim::bench {

std::uint64_t Publisher::publish_one(cim::runtime::Runtime& runtime, std::size_t i) {
    const WireEvent& event = traffic_[i];
    ids_[i] = stamped_id(i);
    const std::string line = event.with_ids(ids_[i], event.refers_to >= 0 ? ids_[static_cast<std::size_t>(event.refers_to)] : "");
    std::uint64_t busy = 0;
    for (;;) {
        const auto result = runtime.publish_json(line);
        if (result.accepted()) return busy;
        if (result.status != cim::runtime::PublishStatus::busy) {
            throw std::runtime_error("event " + std::to_string(i) + " was refused: " + result.error);
        }
        ++busy;
        std::this_thread::yield();  // the shard is full: let the workers drain it
    }
}

std::uint64_t Publisher::flat_out(cim::runtime::Runtime& runtime, std::size_t count) {
    std::uint64_t busy = 0;
    for (std::size_t i = 0; i < count; ++i) busy += publish_one(runtime, i);
    return busy;
}

void Publisher::paced(cim::runtime::Runtime& runtime, std::size_t count, double events_per_s) {
    const auto start = std::chrono::steady_clock::now();
    const double interval_ns = 1e9 / events_per_s;
    for (std::size_t i = 0; i < count; ++i) {
        const auto due = start + std::chrono::nanoseconds(static_cast<long long>(interval_ns * static_cast<double>(i)));
        while (std::chrono::steady_clock::now() < due) {
            // Spin: sleeping would add the scheduler's wake-up latency to the figure being measured.
        }
        publish_one(runtime, i);
    }
}

}  // namespace cim::bench
