#include "measurement.hpp"

#include <fstream>

#include <sys/resource.h>
#include <unistd.h>

namespace cim::bench {

nlohmann::json Measurement::to_json() const {
    nlohmann::json j = {{"name", name},         {"events_per_s", events_per_s}, {"p50_us", p50_us},
                        {"p99_us", p99_us},     {"p999_us", p999_us},           {"cpu_us_per_event", cpu_us_per_event},
                        {"rss_mib", rss_mib},   {"extra", extra}};
    if (!error.empty()) j["error"] = error;
    return j;
}

Measurement Measurement::from_json(const nlohmann::json& j) {
    Measurement m;
    m.name = j.value("name", "");
    m.events_per_s = j.value("events_per_s", 0.0);
    m.p50_us = j.value("p50_us", 0.0);
    m.p99_us = j.value("p99_us", 0.0);
    m.p999_us = j.value("p999_us", 0.0);
    m.cpu_us_per_event = j.value("cpu_us_per_event", 0.0);
    m.rss_mib = j.value("rss_mib", 0.0);
    m.extra = j.value("extra", nlohmann::json::object());
    m.error = j.value("error", "");
    return m;
}

double cpu_time_us() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
    return us(usage.ru_utime) + us(usage.ru_stime);
}

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

std::uint64_t current_rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace cim::bench
