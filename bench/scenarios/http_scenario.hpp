// Scenario 4: ingest through the channel plugin's HTTP API (POST /cim-messages) with concurrent keep-alive clients,
// into a runtime with session tracking, the memory store and the four sinks. Latency is the HTTP round trip.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "measurement.hpp"
#include "scenarios/runtime_scenario.hpp"

namespace cim::bench {

/// `sqlite_sync` empty: the memory store; "normal" or "full": a fresh SQLite journal under the work folder with that
/// sync level (the connector is answered once its message is as durable as that level promises).
Measurement run_http_scenario(std::size_t requests, int clients, const BenchPaths& paths,
                              const std::filesystem::path& channel_plugin, const std::string& sqlite_sync = {});

/// `clients` keep-alive connections (one thread each) posting `requests` CIM messages in all to 127.0.0.1:`port`
/// (retrying a 503 after 1 ms), then `settle`, timed together: the client half of every HTTP scenario and baseline.
Measurement drive_http_clients(int port, std::size_t requests, int clients, const std::function<void()>& settle = {});

}  // namespace cim::bench
