// What one benchmark run reports, and how the process's own cost (CPU, peak memory) is read.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace cim::bench {

struct Measurement {
    std::string name;
    double events_per_s = 0;
    double p50_us = 0;    ///< publish → deliver, at half the measured rate (0 when not measured)
    double p99_us = 0;
    double p999_us = 0;
    double cpu_us_per_event = 0;
    double rss_mib = 0;   ///< peak resident memory of the run's process
    nlohmann::json extra = nlohmann::json::object();  ///< scenario-specific figures (e.g. bytes per conversation)
    std::string error;    ///< set when the run failed; the figures are then meaningless

    nlohmann::json to_json() const;
    static Measurement from_json(const nlohmann::json& j);
};

/// CPU time (user + system) this process has used so far, in microseconds.
double cpu_time_us();
/// Peak resident set of this process, in MiB.
double peak_rss_mib();
/// Current resident set of this process, in bytes (from /proc/self/statm).
std::uint64_t current_rss_bytes();

}  // namespace cim::bench
