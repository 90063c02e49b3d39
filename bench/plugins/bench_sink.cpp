// A consuming plugin for the benchmarks: counts every delivery and, when asked, records each event's publish→deliver
// latency, read from the event id the benchmark stamps ("b-<seq>-<steady_clock ns at publish>"). On stop it writes
// what it saw to the `report` file. Built four times under four names (sink_a .. sink_d): a runtime loads each name
// once.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <fstream>
#include <vector>

#include <cim/sdk.hpp>

#ifndef BENCH_SINK_NAME
#error "BENCH_SINK_NAME must name this sink (sink_a .. sink_d)"
#endif

class BenchSink : public cim::Plugin {
public:
    explicit BenchSink(const cim::PluginContext& context)
        : cim::Plugin(context),
          report_(config()["report"].get<std::string>()),
          record_latency_(config()["record_latency"].get<bool>()),
          latencies_ns_(record_latency_ ? config()["capacity"].get<std::size_t>() : 0) {}

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = BENCH_SINK_NAME;
        m.version = "1.0.0";
        m.description = "benchmark consumer: counts deliveries and records publish-to-deliver latency";
        m.consumes = {"CHANNEL_SESSION_STARTED", "CUSTOMER_MESSAGE", "BOT_MESSAGE", "MESSAGE_DELIVERY_NOTIFICATION",
                      "ACTION_MESSAGE", "AGENT_SUBSCRIBED", "AGENT_MESSAGE", "ACTIVITY_REACTION", "WRAPUP_APPLIED",
                      "AGENT_UNSUBSCRIBED", "THIRD_PARTY_ACTIVITY", "CHANNEL_SESSION_ENDED"};
        m.config_schema = {{"type", "object"},
                           {"properties",
                            {{"report", {{"type", "string"}, {"default", ""}}},
                             {"record_latency", {{"type", "boolean"}, {"default", false}}},
                             {"capacity", {{"type", "integer"}, {"default", 0}, {"minimum", 0}}}}}};
        return m;
    }

    void on_event(const cim::Event& event) {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        count_.fetch_add(1, std::memory_order_relaxed);
        if (!record_latency_) return;
        const std::string_view id = event.id();
        const auto dash = id.rfind('-');
        long long published = 0;
        if (dash == std::string_view::npos ||
            std::from_chars(id.data() + dash + 1, id.data() + id.size(), published).ec != std::errc()) {
            return;  // not a benchmark event
        }
        const std::size_t slot = recorded_.fetch_add(1, std::memory_order_relaxed);
        if (slot < latencies_ns_.size()) latencies_ns_[slot] = now - published;
    }

    void on_stop() {
        const std::size_t recorded = std::min(recorded_.load(), latencies_ns_.size());
        latencies_ns_.resize(recorded);
        std::sort(latencies_ns_.begin(), latencies_ns_.end());
        const auto percentile_us = [&](double p) -> double {
            if (latencies_ns_.empty()) return 0;
            const auto index = static_cast<std::size_t>(p * static_cast<double>(latencies_ns_.size() - 1));
            return static_cast<double>(latencies_ns_[index]) / 1000.0;
        };
        const nlohmann::json report = {{"count", count_.load()},
                                       {"p50_us", percentile_us(0.50)},
                                       {"p99_us", percentile_us(0.99)},
                                       {"p999_us", percentile_us(0.999)},
                                       {"latency_samples", recorded}};
        if (!report_.empty()) std::ofstream(report_) << report.dump() << '\n';
    }

private:
    std::string report_;
    bool record_latency_;
    std::vector<long long> latencies_ns_;
    std::atomic<std::size_t> recorded_{0};
    std::atomic<std::uint64_t> count_{0};
};

CIM_PLUGIN(BenchSink);
