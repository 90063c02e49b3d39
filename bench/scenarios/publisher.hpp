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

    /// Builds the wire text of events [0, count) in batches, before the clock starts: the flat-out run then measures
    /// the runtime, not the bench's own string building.
    void prepare(std::size_t count);
    /// Publishes the prepared events as fast as the runtime takes them, `batch` at a time with publish_many_json
    /// (the busy rest of a batch is retried in order). @returns how many events were refused busy on the way.
    std::uint64_t flat_out(cim::runtime::Runtime& runtime);
    /// Publishes events [0, count) at `events_per_s`: whatever fell due since the last publish as one batch.
    void paced(cim::runtime::Runtime& runtime, std::size_t count, double events_per_s);

private:
    /// publish_many_json of `lines`, again and again for the busy rest; how many were refused busy on the way.
    static std::uint64_t publish_retrying(cim::runtime::Runtime& runtime, std::vector<std::string>& lines);

    static constexpr std::size_t batch = 64;

    const std::vector<WireEvent>& traffic_;
    std::vector<std::string> ids_;
    std::vector<std::vector<std::string>> batches_;  // prepare()'s
};

}  // namespace cim::bench
