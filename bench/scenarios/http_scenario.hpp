// Scenario 4: ingest through the channel plugin's HTTP API (POST /cim-messages) with concurrent keep-alive clients,
// into a runtime with session tracking, the memory store and the four sinks. Latency is the HTTP round trip.
#pragma once

#include <cstddef>

#include "measurement.hpp"
#include "scenarios/runtime_scenario.hpp"

namespace cim::bench {

Measurement run_http_scenario(std::size_t requests, int clients, const BenchPaths& paths,
                              const std::filesystem::path& channel_plugin);

}  // namespace cim::bench
