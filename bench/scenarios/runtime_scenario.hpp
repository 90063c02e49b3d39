// Scenarios 1-3 and 6: events published into a runtime with four consuming .so plugins (the bench sinks), measured
// twice — flat out for throughput, then paced at half that rate for publish→deliver latency.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "measurement.hpp"
#include "traffic_model.hpp"

namespace cim::bench {

struct RuntimeSetup {
    std::string name;
    bool session_tracking = true;       ///< false: the bare bus (no tracking, no journal)
    std::string store = "memory";       ///< "memory" or "sqlite"
    std::string sqlite_sync = "normal";
    int threads = 2;
    bool measure_latency = true;        ///< false: the throughput run only (for profiling)
};

struct BenchPaths {
    std::filesystem::path sink_dir;  ///< where sink_a.so .. sink_d.so are
    std::filesystem::path work_dir;  ///< a scratch folder for journals and reports
};

Measurement run_runtime_scenario(const RuntimeSetup& setup, const std::vector<WireEvent>& traffic,
                                 const BenchPaths& paths);

}  // namespace cim::bench
