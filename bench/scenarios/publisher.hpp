// Publishing the traffic into a runtime: flat out (retrying on busy, the back-pressure a producer must honour) or
// paced at a target rate; each event gets a fresh stamped id, and updates refer to the ids their targets got.
#pragma once

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cim/runtime/runtime.hpp"
#include "traffic_model.hpp"

namespace cim::bench {

class Publisher {
public:
    explicit Publisher(const std::vector<WireEvent>& traffic) : traffic_(traffic), ids_(traffic.size()) {}

    /// Publishes events [0, count) as fast as the runtime takes them. @returns how many publishes were refused busy.
    std::uint64_t flat_out(cim::runtime::Runtime& runtime, std::size_t count);
    /// Publishes events [0, count) at `events_per_s`.
    void paced(cim::runtime::Runtime& runtime, std::size_t count, double events_per_s);

private:
    std::uint64_t publish_one(cim::runtime::Runtime& runtime, std::size_t i);

    const std::vector<WireEvent>& traffic_;
    std::vector<std::string> ids_;
};

}  // namespace cim::bench
