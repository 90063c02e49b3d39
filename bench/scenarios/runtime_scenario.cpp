#include "scenarios/runtime_scenario.hpp"

#include <fstream>
#include <stdexcept>

#include "bus/clock.hpp"
#include "config/runtime_config.hpp"
#include "runtime/runtime_impl.hpp"
#include "scenarios/publisher.hpp"

namespace cim::bench {
namespace {

constexpr const char* sinks[] = {"sink_a", "sink_b", "sink_c", "sink_d"};

std::unique_ptr<cim::runtime::Runtime> make_bench_runtime(const RuntimeSetup& setup, const BenchPaths& paths,
                                                          const std::string& run, std::size_t latency_capacity) {
    const auto journal = paths.work_dir / (setup.name + "-" + run + ".db");
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) std::filesystem::remove(journal.string() + suffix);
    std::string toml = "[runtime]\nthreads = " + std::to_string(setup.threads) + "\nplugin_dir = \"" +
                       paths.sink_dir.string() + "\"\n[store]\nkind = \"" + setup.store + "\"\n";
    if (setup.store == "sqlite") toml += "path = \"" + journal.string() + "\"\nsync = \"" + setup.sqlite_sync + "\"\n";
    toml += "[sessions]\ncustomer_inactivity_timeout = \"1h\"\n";
    for (const char* sink : sinks) {
        const bool measures = latency_capacity > 0 && std::string(sink) == "sink_a";
        toml += std::string("[plugins.") + sink + "]\nreport = \"" + (paths.work_dir / (std::string(sink) + ".json")).string() +
                "\"\nrecord_latency = " + (measures ? "true" : "false") + "\ncapacity = " +
                std::to_string(measures ? latency_capacity : 0) + "\n";
    }
    cim::runtime::RuntimeOptions quiet;
    quiet.log_to_stderr = false;
    cim::runtime::Assembly assembly;
    assembly.session_stage = setup.session_tracking;
    return cim::runtime::make_runtime(cim::core::parse_config(toml, "<bench>", paths.work_dir), quiet,
                                      std::make_unique<cim::core::SystemClock>(), assembly);
}

nlohmann::json sink_report(const BenchPaths& paths, const char* sink) {
    std::ifstream in(paths.work_dir / (std::string(sink) + ".json"));
    nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
    if (report.is_discarded()) throw std::runtime_error(std::string(sink) + " wrote no report");
    return report;
}

// Every sink must have seen every event exactly once: a fast but lossy run is a failed run.
void check_counts(const BenchPaths& paths, std::size_t expected) {
    for (const char* sink : sinks) {
        const auto count = sink_report(paths, sink)["count"].get<std::size_t>();
        if (count != expected) {
            throw std::runtime_error(std::string(sink) + " received " + std::to_string(count) + " of " +
                                     std::to_string(expected) + " events");
        }
    }
}

}  // namespace

Measurement run_runtime_scenario(const RuntimeSetup& setup, const std::vector<WireEvent>& traffic,
                                 const BenchPaths& paths) {
    Measurement m;
    m.name = setup.name;
    const std::size_t n = traffic.size();

    // Throughput: as fast as the runtime accepts, honouring busy.
    {
        auto runtime = make_bench_runtime(setup, paths, "throughput", 0);
        runtime->start();
        Publisher publisher(traffic);
        publisher.prepare(n);
        const double cpu_before = cpu_time_us();
        const auto start = std::chrono::steady_clock::now();
        const std::uint64_t busy = publisher.flat_out(*runtime);
        runtime->drain();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        m.cpu_us_per_event = (cpu_time_us() - cpu_before) / static_cast<double>(n);
        runtime->stop();
        check_counts(paths, n);
        m.events_per_s = static_cast<double>(n) / seconds;
        m.extra["busy_retries"] = busy;
        m.extra["deliveries_per_event"] = 4;
    }

    // Latency at half that rate: the queues stay short, so this is the path's own cost, not queueing.
    if (setup.measure_latency) {
        const double rate = m.events_per_s / 2;
        const std::size_t count = std::min(n, std::max<std::size_t>(20000, static_cast<std::size_t>(rate * 3)));
        auto runtime = make_bench_runtime(setup, paths, "latency", count);
        runtime->start();
        Publisher publisher(traffic);
        publisher.paced(*runtime, count, rate);
        runtime->drain();
        runtime->stop();
        check_counts(paths, count);
        const auto report = sink_report(paths, "sink_a");
        m.p50_us = report["p50_us"];
        m.p99_us = report["p99_us"];
        m.p999_us = report["p999_us"];
        m.extra["latency_rate_events_per_s"] = rate;
        m.extra["latency_samples"] = report["latency_samples"];
    }
    m.rss_mib = peak_rss_mib();
    return m;
}

}  // namespace cim::bench
