// cimrt-bench: throughput, latency and memory of the runtime, side by side with a broker (nats-server), raw SQLite and
// the dispatch limit, on the same events. Every run happens in a fresh child process, so peak memory is the run's
// own. See docs/performance.md for the scenarios, the baselines, the JSON names and the latest figures.
#include <unistd.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "baselines/baselines.hpp"
#include "report.hpp"
#include "scenarios/http_scenario.hpp"
#include "scenarios/idle_scenario.hpp"
#include "scenarios/runtime_scenario.hpp"
#include "scenarios/startup_scenario.hpp"

namespace {

using cim::bench::Measurement;

// Runs `body` in a child process and returns what it measured (or why it failed).
Measurement in_child(const std::string& name, const std::function<Measurement()>& body) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) return {name, 0, 0, 0, 0, 0, 0, {}, "pipe failed"};
    std::cout.flush();
    std::cerr.flush();
    const pid_t pid = fork();
    if (pid == 0) {
        close(pipe_fds[0]);
        Measurement m;
        try {
            m = body();
        } catch (const std::exception& e) {
            m.name = name;
            m.error = e.what();
        }
        const std::string text = m.to_json().dump();
        std::size_t written = 0;
        while (written < text.size()) {
            const ssize_t n = write(pipe_fds[1], text.data() + written, text.size() - written);
            if (n <= 0) break;
            written += static_cast<std::size_t>(n);
        }
        _exit(0);  // no static destructors, no atexit: the parent owns the process's shared state
    }
    close(pipe_fds[1]);
    std::string text;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded()) {
        Measurement failed;
        failed.name = name;
        failed.error = WIFSIGNALED(status) ? "crashed with signal " + std::to_string(WTERMSIG(status)) : "no result";
        return failed;
    }
    return Measurement::from_json(json);
}

std::string times(double ratio) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2fx", ratio);
    return buffer;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"cimrt-bench: the runtime's throughput, latency and memory against a broker, SQLite and a dispatch loop"};
    bool quick = false;
    bool json = false;
    std::size_t events = 0;
    std::string only;
    std::string sink_dir = CIMRT_BENCH_SINK_DIR;
    std::string channel_plugin = CIMRT_CHANNEL_PLUGIN;
    app.add_flag("--quick", quick, "small runs: the whole table in under a minute");
    app.add_flag("--json", json, "print JSON instead of the table (names in docs/performance.md)");
    app.add_option("--events", events, "events per throughput run (default 1000000, --quick 100000)");
    app.add_option("--only", only, "run only scenarios and baselines whose name contains this text");
    bool throughput_only = false;
    app.add_flag("--throughput-only", throughput_only, "skip the paced latency runs (for profiling the throughput path)");
    app.add_option("--sinks", sink_dir, "folder of sink_a.so .. sink_d.so")->capture_default_str();
    app.add_option("--channel", channel_plugin, "the channel plugin for the HTTP scenario")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    if (events == 0) events = quick ? 100000 : 1000000;
    const std::size_t concurrent = quick ? 1000 : 10000;
    std::string pattern = (std::filesystem::temp_directory_path() / "cimrt-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        std::cerr << "cannot create a work folder\n";
        return 1;
    }
    const cim::bench::BenchPaths paths{sink_dir, pattern};
    const auto traffic = cim::bench::make_traffic(events, concurrent);
    const auto wanted = [&](const std::string& name) { return only.empty() || name.find(only) != std::string::npos; };
    const auto progress = [&](const std::string& name) {
        if (!json) std::cerr << "running " << name << "...\n";
    };

    std::vector<Measurement> baselines;
    std::map<std::string, double> baseline_rate;
    const auto baseline = [&](const std::string& name, const std::function<Measurement()>& body) {
        if (!wanted(name)) return;
        progress(name);
        Measurement m = in_child(name, body);
        m.name = name;
        if (m.error.empty()) baseline_rate[name] = m.events_per_s;
        baselines.push_back(std::move(m));
    };
    const std::string dispatch = "dispatch loop";
    const std::string parse_dispatch = "parse + dispatch loop";
    const std::string nats = "nats-server pub -> 4 sub";
    const std::string sqlite = "sqlite batched inserts (normal)";
    baseline(dispatch, [&] { return cim::bench::run_dispatch_loop(traffic); });
    baseline(parse_dispatch, [&] { return cim::bench::run_parse_dispatch_loop(traffic); });
    baseline(nats, [&] { return cim::bench::run_nats_baseline(traffic, paths.work_dir); });
    baseline(sqlite, [&] { return cim::bench::run_sqlite_baseline(traffic, paths.work_dir, "normal", 1000); });
    // The durable path's baseline: FULL sync with the batching the bench's publisher uses (publish_many of 64).
    const std::string sqlite_full = "sqlite batched inserts (full, 64 rows)";
    baseline(sqlite_full, [&] { return cim::bench::run_sqlite_baseline(traffic, paths.work_dir, "full", 64); });
    const std::string bare_http = "bare http 202 (16 clients)";
    baseline(bare_http, [&] { return cim::bench::run_http_baseline(quick ? 20000 : 100000, 16); });

    std::vector<cim::bench::ScenarioRow> scenarios;
    const auto versus = [&](const Measurement& m, const std::string& name) {
        const auto it = baseline_rate.find(name);
        return it == baseline_rate.end() || !m.error.empty() ? 0.0 : m.events_per_s / it->second;
    };
    const auto scenario = [&](const std::string& name, const std::function<Measurement()>& body,
                              const std::string& compared_with, const std::function<std::string(const Measurement&)>& note) {
        if (!wanted(name)) return;
        progress(name);
        cim::bench::ScenarioRow row;
        row.measurement = in_child(name, body);
        row.measurement.name = name;
        row.baseline = compared_with;
        row.ratio = compared_with.empty() ? 0 : versus(row.measurement, compared_with);
        if (row.measurement.error.empty() && note) row.ratio_note = note(row.measurement);
        scenarios.push_back(std::move(row));
    };
    const auto against_dispatch = [&](const Measurement& m) {
        return times(versus(m, nats)) + " nats-server; " + times(versus(m, parse_dispatch)) + " parse+dispatch loop; " +
               times(versus(m, dispatch)) + " dispatch loop";
    };

    const auto runtime = [&](std::string name, bool sessions, std::string store, int threads,
                             std::string sync = "normal") {
        return [=, &traffic, &paths] {
            return cim::bench::run_runtime_scenario({name, sessions, store, sync, threads, !throughput_only}, traffic,
                                                    paths);
        };
    };
    scenario("1 bus, 4 .so consumers", runtime("bus", false, "memory", 2), nats, against_dispatch);
    scenario("2 bus + sessions", runtime("sessions", true, "memory", 2), nats, [&](const Measurement& m) {
        return against_dispatch(m) + " (budget: >= 5x nats, >= 0.10x dispatch); p99 at half rate " +
               times(m.p99_us / 1000.0).substr(0, times(m.p99_us / 1000.0).size() - 1) + " ms (budget < 1 ms)";
    });
    scenario("3 bus + sessions + sqlite", runtime("sqlite", true, "sqlite", 2), sqlite, [&](const Measurement& m) {
        return times(versus(m, sqlite)) + " raw SQLite batched inserts (budget >= 0.8x)";
    });
    scenario("3b bus + sessions + sqlite full", runtime("sqlitefull", true, "sqlite", 2, "full"), sqlite_full,
             [&](const Measurement& m) {
                 return times(versus(m, sqlite_full)) + " raw SQLite, FULL sync, 64 rows a commit (budget >= 0.8x)";
             });
    scenario("4 http ingest", [&] {
        return cim::bench::run_http_scenario(quick ? 20000 : 100000, 4, paths, channel_plugin);
    }, nats, [&](const Measurement& m) { return times(versus(m, nats)) + " nats-server (HTTP round trips, 4 clients)"; });
    // The durable connector path: 16 keep-alive connections, as a connector's pool; full against normal in this run.
    double http_normal_rate = 0;
    scenario("4b http ingest sqlite normal, 16 clients", [&] {
        return cim::bench::run_http_scenario(quick ? 20000 : 100000, 16, paths, channel_plugin, "normal");
    }, bare_http, [&](const Measurement& m) {
        http_normal_rate = m.events_per_s;
        return times(versus(m, bare_http)) + " bare HTTP (budget >= 0.5x); the reference of 4c";
    });
    scenario("4c http ingest sqlite full, 16 clients", [&] {
        return cim::bench::run_http_scenario(quick ? 10000 : 50000, 16, paths, channel_plugin, "full");
    }, "", [&](const Measurement& m) {
        return http_normal_rate == 0 ? std::string("run 4b for the ratio")
                                     : times(m.events_per_s / http_normal_rate) + " 4b (sync normal; budget >= 0.5x)";
    });
    const auto idle_note = [](const Measurement& m) {
        return std::to_string(static_cast<long>(m.extra.value("bytes_per_conversation", 0.0))) +
               " bytes per idle conversation (budget < 1024)";
    };
    scenario("5 idle conversations x100k", [&] { return cim::bench::run_idle_scenario(100000, paths); }, "", idle_note);
    if (!quick) {
        scenario("5 idle conversations x1M", [&] { return cim::bench::run_idle_scenario(1000000, paths); }, "", idle_note);
    }
    // 7: start-up against journal length, the same 10k open conversations in each journal (docs/performance.md).
    std::map<std::string, double> startup_ms;
    for (const std::size_t journal_events : {std::size_t{100000}, std::size_t{1000000}}) {
        const std::string size = journal_events == 100000 ? "100k" : "1M";
        const std::string name = "7 start-up, " + size + "-event journal";
        if (!wanted(name)) continue;
        const auto journal = paths.work_dir / ("startup-" + size + ".db");
        progress(name + " (writing the journal)");
        const Measurement written = in_child(name, [&] {
            return cim::bench::write_startup_journal(journal, journal_events, 10000, paths);
        });
        for (const bool snapshots : {true, false}) {
            const std::string row = name + (snapshots ? ", snapshots" : ", full replay");
            scenario(row, [&] { return cim::bench::run_startup(journal, snapshots, paths); }, "",
                     [&, snapshots, size](const Measurement& m) {
                         const double ms = m.extra.value("startup_ms", 0.0);
                         startup_ms[size + (snapshots ? "s" : "r")] = ms;
                         char text[200];
                         std::snprintf(text, sizeof text, "%.0f ms to start (%.0f ms CPU), %.0f journal entries read, "
                                       "%.0f MiB resident after eviction, %s",
                                       ms, m.extra.value("startup_cpu_ms", 0.0), m.extra.value("journal_events_read", 0.0),
                                       m.extra.value("rss_after_mib", 0.0),
                                       written.extra.dump().c_str());
                         std::string note = text;
                         if (size == "1M" && startup_ms.count("100k" + std::string(snapshots ? "s" : "r")) != 0) {
                             note += "; " + times(ms / startup_ms["100k" + std::string(snapshots ? "s" : "r")]) +
                                     " the 100k start-up" + (snapshots ? " (budget <= 1.5x)" : "");
                         }
                         return note;
                     });
        }
    }

    double one_thread = 0;
    scenario("6 bus + sessions, 1 thread", runtime("threads1", true, "memory", 1), nats, [&](const Measurement& m) {
        one_thread = m.events_per_s;
        return times(versus(m, nats)) + " nats-server";
    });
    scenario("6 bus + sessions, 2 threads", runtime("threads2", true, "memory", 2), nats, [&](const Measurement& m) {
        return one_thread > 0 ? times(m.events_per_s / one_thread) + " the 1-thread rate" : std::string();
    });

    std::filesystem::remove_all(paths.work_dir);
    if (json) {
        std::cout << cim::bench::to_json(scenarios, baselines) << '\n';
    } else {
        cim::bench::print_table(std::cout, scenarios, baselines);
    }
    for (const auto& s : scenarios) {
        if (!s.measurement.error.empty()) return 1;
    }
    for (const auto& b : baselines) {
        if (!b.error.empty()) return 1;
    }
    return 0;
}
