#include "runtime/runtime_metrics.hpp"

#include <algorithm>
#include <array>

#include "metrics/prometheus_text.hpp"
#include "plugin/plugin_metrics.hpp"
#include "runtime/runtime_impl.hpp"
#include "sessions/conversation.hpp"

namespace cim::runtime {
namespace {

using core::Labels;
using core::PrometheusText;

constexpr double ns_per_s = 1e9;

void write_events(PrometheusText& out, const core::Bus& bus, const core::Catalogue& catalogue) {
    const auto accepted = bus.accepted_by_kind();
    const auto duplicates = bus.duplicates_by_kind();
    out.family("cimrt_events_accepted_total", "counter",
               "Events accepted by publish, by event name (duplicates included: a retry is answered as accepted).");
    for (std::size_t k = 0; k < accepted.size(); ++k) {
        if (accepted[k] != 0) out.sample("cimrt_events_accepted_total", {{"event", catalogue.at(k).name}}, accepted[k]);
    }
    out.family("cimrt_events_duplicate_total", "counter",
               "Accepted events whose id was already applied: neither tracked, journaled nor delivered again.");
    for (std::size_t k = 0; k < duplicates.size(); ++k) {
        if (duplicates[k] != 0) {
            out.sample("cimrt_events_duplicate_total", {{"event", catalogue.at(k).name}}, duplicates[k]);
        }
    }
    const core::BusMetrics m = bus.metrics();
    out.family("cimrt_events_refused_total", "counter",
               "Publishes refused, by reason: busy (back-pressure, retry), invalid (bad event or undeclared), "
               "store (the store cannot write).");
    out.sample("cimrt_events_refused_total", {{"reason", "busy"}}, m.busy);
    out.sample("cimrt_events_refused_total", {{"reason", "invalid"}}, m.invalid);
    out.sample("cimrt_events_refused_total", {{"reason", "store"}}, m.failed);
    out.family("cimrt_events_in_flight", "gauge", "Accepted events not yet delivered to every consumer.");
    out.sample("cimrt_events_in_flight", {}, m.in_flight);
    const core::LatencyHistogram& latency = bus.delivery_latency();
    out.histogram("cimrt_delivery_latency_seconds",
                  "Time from an event's admission to its first consumer's delivery (with sync = \"full\" it "
                  "includes the commit).",
                  std::vector<double>(core::LatencyHistogram::bounds.begin(), core::LatencyHistogram::bounds.end()),
                  latency.counts(), latency.sum_seconds());
    const core::QueueSummary queues = bus.queues();
    out.family("cimrt_shard_queued_events", "gauge", "Events queued or being delivered, summed over all shards.");
    out.sample("cimrt_shard_queued_events", {}, static_cast<std::uint64_t>(queues.queued));
    out.family("cimrt_shard_queued_events_max", "gauge", "The deepest shard's queued or in-delivery events.");
    out.sample("cimrt_shard_queued_events_max", {}, static_cast<std::uint64_t>(queues.deepest));
    out.family("cimrt_shard_capacity_events", "gauge",
               "Events a shard holds before publish reports busy ([runtime] shard_capacity).");
    out.sample("cimrt_shard_capacity_events", {}, static_cast<std::uint64_t>(queues.capacity));
    out.family("cimrt_shards", "gauge", "Conversation shards ([runtime] shards).");
    out.sample("cimrt_shards", {}, static_cast<std::uint64_t>(queues.shards));
}

using PluginRow = std::pair<std::string, std::array<double, 7>>;

void add_row(const std::string& name, const core::Endpoint& endpoint, bool up, std::vector<PluginRow>& rows) {
    const core::EndpointCounters& c = endpoint.counters();
    rows.push_back({name,
                    {static_cast<double>(c.delivered.load()), static_cast<double>(c.failed.load()),
                     static_cast<double>(c.slow.load()), static_cast<double>(c.delivery_ns.load()) / ns_per_s,
                     static_cast<double>(c.published.load()), static_cast<double>(c.publish_rejected.load()),
                     up ? 1.0 : 0.0}});
}

void write_plugins(PrometheusText& out, Runtime::Impl& impl) {
    // Rows first, under the reload lock (a reload replaces instances); families written after, one per metric.
    std::vector<PluginRow> rows;
    std::vector<core::PluginMetricsView> own;  // the plugins' own metrics (ABI 1.4)
    {
        const std::lock_guard reloading(impl.reload_mutex);
        for (const auto& instance : impl.instances) {
            const bool up = std::find(impl.started.begin(), impl.started.end(), instance.get()) != impl.started.end();
            add_row(instance->name(), *instance, up, rows);
            std::string prefix = "cimrt_" + instance->manifest().name + "_";
            std::replace(prefix.begin(), prefix.end(), '-', '_');
            own.push_back({std::move(prefix), instance->name(), instance->metrics().snapshot()});
        }
        for (const auto& handler : impl.handlers) add_row(handler->name(), *handler, impl.running, rows);
    }
    struct Family {
        const char* name;
        const char* type;
        const char* help;
    };
    static constexpr std::array<Family, 7> families = {{
        {"cimrt_plugin_deliveries_total", "counter", "on_event calls that succeeded, by plugin."},
        {"cimrt_plugin_delivery_failures_total", "counter", "on_event and on_timer calls that failed or threw."},
        {"cimrt_plugin_slow_deliveries_total", "counter", "Deliveries that ran past [runtime] slow_delivery."},
        {"cimrt_plugin_delivery_seconds_total", "counter", "Time spent in on_event, by plugin."},
        {"cimrt_plugin_published_total", "counter", "Events the plugin published that were accepted."},
        {"cimrt_plugin_publish_refused_total", "counter", "The plugin's publishes refused (invalid, undeclared, busy)."},
        {"cimrt_plugin_up", "gauge", "1 while the plugin is started, 0 otherwise."},
    }};
    for (std::size_t f = 0; f < families.size(); ++f) {
        out.family(families[f].name, families[f].type, families[f].help);
        for (const auto& [name, values] : rows) out.sample(families[f].name, {{"plugin", name}}, values[f]);
    }
    core::write_plugin_metrics(out, own);
}

void write_store(PrometheusText& out, const core::Store& store) {
    const core::StoreHealth health = store.health();
    const core::StoreStats stats = store.stats();
    const core::JournalReads reads = store.journal_reads();
    out.family("cimrt_store_writable", "gauge", "1 while the store writes, 0 while it fails (publishing is refused).");
    out.sample("cimrt_store_writable", {}, std::uint64_t{health.writable ? 1u : 0u});
    out.family("cimrt_store_backlog_entries", "gauge", "Accepted entries not yet committed ([store] max_backlog bounds it).");
    out.sample("cimrt_store_backlog_entries", {}, stats.backlog);
    out.family("cimrt_store_commits_total", "counter", "Transactions the store's writer committed.");
    out.sample("cimrt_store_commits_total", {}, stats.commits);
    out.family("cimrt_store_committed_entries_total", "counter", "Entries (events, plugin state writes) committed.");
    out.sample("cimrt_store_committed_entries_total", {}, stats.entries);
    out.family("cimrt_store_commit_seconds_total", "counter",
               "Time the writer spent committing; divided by cimrt_store_commits_total, the mean commit latency.");
    out.sample("cimrt_store_commit_seconds_total", {}, static_cast<double>(stats.commit_ns) / ns_per_s);
    out.family("cimrt_store_failed_commits_total", "counter", "Commits that failed (full disk, I/O error) and were retried.");
    out.sample("cimrt_store_failed_commits_total", {}, stats.failed_commits);
    out.family("cimrt_journal_reads_total", "counter", "Times the journal was read back (start-up, conversations not in memory).");
    out.sample("cimrt_journal_reads_total", {}, reads.reads);
    out.family("cimrt_journal_entries_read_total", "counter", "Journal entries those reads visited.");
    out.sample("cimrt_journal_entries_read_total", {}, reads.events);
}

void write_sessions(PrometheusText& out, core::SessionStage& sessions) {
    const auto by_state = sessions.conversations_by_state();
    out.family("cimrt_conversations", "gauge", "Conversations in memory, by state.");
    for (std::size_t s = 0; s < by_state.size(); ++s) {
        out.sample("cimrt_conversations", {{"state", std::string(core::to_string(static_cast<core::ConversationState>(s)))}},
                   by_state[s]);
    }
    const core::SessionStageCounters c = sessions.counters();
    out.family("cimrt_conversations_evicted_total", "counter", "CLOSED conversations that left memory after [sessions] closed_grace.");
    out.sample("cimrt_conversations_evicted_total", {}, c.evicted);
    out.family("cimrt_snapshots_written_total", "counter", "Partition snapshots of the session state handed to the store.");
    out.sample("cimrt_snapshots_written_total", {}, c.snapshots);
}

}  // namespace

std::string not_ready_reason(const Runtime::Impl& impl) {
    switch (impl.phase.load()) {
        case Runtime::Impl::Phase::created: return "not started";
        case Runtime::Impl::Phase::restoring: return "restoring conversations and plugin state from the store";
        case Runtime::Impl::Phase::starting_plugins: return "starting plugins";
        case Runtime::Impl::Phase::stopping: return "stopping";
        case Runtime::Impl::Phase::stopped: return "stopped";
        case Runtime::Impl::Phase::ready: break;
    }
    if (const core::StoreHealth health = impl.store->health(); !health.writable) {
        return "the store cannot write: " + health.failure;
    }
    return {};
}

std::string render_metrics(Runtime::Impl& impl) {
    PrometheusText out;
    out.family("cimrt_ready", "gauge", "1 when /readyz answers 200: started, restored, every plugin up, store writable.");
    out.sample("cimrt_ready", {}, std::uint64_t{not_ready_reason(impl).empty() ? 1u : 0u});
    write_events(out, *impl.bus, impl.catalogue);
    write_plugins(out, impl);
    write_store(out, *impl.store);
    if (impl.sessions) write_sessions(out, *impl.sessions);
    return out.text();
}

core::EndpointReply answer_metrics_endpoint(Runtime::Impl& impl, std::string_view path) {
    if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(impl)};
    if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
    if (path == "/readyz") {
        const std::string why = not_ready_reason(impl);
        if (why.empty()) return {200, "text/plain; charset=utf-8", "ready\n"};
        return {503, "text/plain; charset=utf-8", "not ready: " + why + "\n"};
    }
    return {404, "text/plain; charset=utf-8", "not found; try /metrics, /healthz or /readyz\n"};
}

}  // namespace cim::runtime
