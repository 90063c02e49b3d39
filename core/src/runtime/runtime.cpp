#include "cim/runtime/runtime.hpp"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "event/describe_catalogue.hpp"
#include "event/event_error.hpp"
#include "event/wire_json.hpp"
#include "runtime/runtime_impl.hpp"
#include "runtime/runtime_metrics.hpp"

namespace cim::runtime {
namespace {

std::shared_ptr<spdlog::logger> make_logger(const RuntimeOptions& options) {
    // A logger of our own, never registered in spdlog's global registry: two runtimes must not share one by name.
    spdlog::sink_ptr sink;
    if (options.log_to_stderr) {
        sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    } else {
        sink = std::make_shared<spdlog::sinks::null_sink_mt>();
    }
    auto logger = std::make_shared<spdlog::logger>("cimrt", std::move(sink));
    logger->set_level(spdlog::level::from_str(options.log_level));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
    return logger;
}

core::BusOptions bus_options(const core::RuntimeSection& runtime) {
    return {runtime.threads, runtime.shards, runtime.shard_capacity, runtime.slow_delivery};
}

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
    return out;
}

}  // namespace

Runtime::Impl::Impl(core::RuntimeConfig config_in, RuntimeOptions options, std::unique_ptr<core::Clock> clock_in,
                    Assembly assembly)
    : config(std::move(config_in)), clock(std::move(clock_in)), logger(make_logger(options)), own_store(options.own_store) {
    bus = std::make_unique<core::Bus>(catalogue, *clock, bus_options(config.runtime), logger);
    try {
        store = core::open_store(config.store, bus->shard_count(),
                                 own_store ? core::StoreAccess::owner : core::StoreAccess::read_only, logger);
    } catch (const core::StoreError& e) {
        throw Error(Error::Kind::store, config.file.string() + ": " + e.what());
    }
    // With sync = "full" a delivery waits for its commit; the store says when one lands.
    store->set_durable_listener([bus = bus.get()](std::size_t shard, std::uint64_t ticket) {
        bus->mark_durable(shard, ticket);
    });
    const core::TrackerOptions tracking{config.sessions.customer_inactivity_timeout, config.sessions.closed_grace};
    plugin_state = std::make_unique<core::PluginState>(
        *store, bus->shard_count(), [bus = bus.get()](std::string_view scope) { return bus->shard_index(scope); },
        logger);
    host = std::make_unique<core::RuntimeHost>(*bus, *store, tracking, *plugin_state);
    if (assembly.session_stage) {
        sessions = std::make_unique<core::SessionStage>(*bus, *store, catalogue, tracking, logger);
        sessions->set_snapshot_interval(config.store.snapshot_interval);
        host->attach_sessions(*sessions);
        bus->set_admission_stage(*sessions);
        bus->set_runtime_publishes(core::SessionStage::published_events());
        host->set_sessions(sessions.get());
        // A conversation that leaves memory takes its plugin state along (abi.h: scoped to the conversation).
        sessions->set_eviction_listener(
            [state = plugin_state.get()](const std::string& conversation_id) { state->drop_scope(conversation_id); });
    }
    for (core::PluginSection& section : config.plugins) {
        if (section.enabled) load_plugin(section);
    }
}

Runtime::Impl::~Impl() {
    if (bus) bus->stop();
}

// The start order, in one place: the bus is wired and its workers run; the conversations and the plugins' state come
// back from the store; their deadlines are armed; then the plugins start, in config order. Each step relies on the
// one before: a plugin's start() may publish (the bus must run) and read its state (it must be restored), and the
// first event after a restart must meet its conversation.
std::vector<std::string> Runtime::Impl::start() {
    if (running) throw Error(Error::Kind::plugin, "the runtime is already started");
    if (!own_store) {
        throw Error(Error::Kind::store, "this runtime opened its store read-only (RuntimeOptions::own_store); it cannot start");
    }
    serve_metrics();  // first: /readyz says "not ready" with the reason all through start-up
    std::vector<std::string> warnings = start_bus();
    phase = Phase::restoring;
    restore_from_store();
    running = true;
    phase = Phase::starting_plugins;
    start_plugins();
    phase = Phase::ready;
    for (const std::string& warning : warnings) logger->warn("wiring: {}", warning);
    return warnings;
}

std::vector<std::string> Runtime::Impl::start_bus() {
    for (core::Endpoint* endpoint : endpoints()) bus->add_endpoint(*endpoint);
    try {
        return bus->start();
    } catch (const core::WiringError& e) {
        throw Error(Error::Kind::plugin, e.what());
    }
}

void Runtime::Impl::restore_from_store() {
    std::uint64_t replayed = 0;
    std::size_t state_entries = 0;
    try {
        replayed = sessions ? sessions->restore() : 0;
        state_entries = plugin_state->restore();
    } catch (const core::StoreError& e) {
        bus->stop();
        throw Error(Error::Kind::store, config.file.string() + ": " + e.what());
    }
    if (sessions) sessions->arm_restored();
    if (sessions && (replayed > 0 || sessions->counters().restored_from_snapshot > 0)) {
        logger->info("restored {} conversation(s): {} partition(s) from snapshots, {} journaled event(s) replayed",
                     sessions->conversation_count(), sessions->counters().restored_from_snapshot, replayed);
    }
    if (state_entries > 0) logger->info("restored {} plugin state entr(ies)", state_entries);
}

void Runtime::Impl::start_plugins() {
    for (const auto& instance : instances) {
        try {
            instance->start();
            started.push_back(instance.get());
        } catch (const core::PluginError& e) {
            stop();  // the plugins already started must not keep running half a pipeline
            throw Error(Error::Kind::plugin, e.what());
        }
    }
}

// The stop order, the start order reversed: plugins stop taking outside input (in reverse start order); the bus
// drains what was accepted, replies included (abi.h), and joins its workers; a last snapshot is written with the last
// events, so the next start replays nothing; the store writes out everything and is then safe to close.
void Runtime::Impl::stop() {
    const std::lock_guard reloading(reload_mutex);
    if (!running) return;
    running = false;
    phase = Phase::stopping;
    for (auto it = started.rbegin(); it != started.rend(); ++it) {
        const core::DeliveryOutcome outcome = (*it)->stop();
        if (!outcome.ok) logger->error("plugin '{}' failed to stop: {}", (*it)->name(), outcome.error);
    }
    started.clear();
    const auto limit = config.runtime.stop_timeout;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    const core::StopReport report = bus->stop(limit);
    if (!report.finished) {
        stuck = true;
        const std::string message = "stop gave up after " + std::to_string(limit.count()) +
                                    " ms (runtime.stop_timeout): " + joined(report.holding);
        logger->error("{}", message);
        throw Error(Error::Kind::stuck, message);
    }
    if (sessions) sessions->snapshot_all();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!store->flush(std::max(left, std::chrono::milliseconds(0)))) {
        const std::string message = "accepted events could not be written before stop: " + store->health().failure;
        logger->error("{}", message);
        throw Error(Error::Kind::store, message);
    }
    phase = Phase::stopped;
    const auto m = bus->metrics();
    logger->info("stopped: {} events accepted, {} deliveries, {} failed", m.accepted, m.deliveries,
                 m.delivery_failures);
}

void Runtime::Impl::serve_metrics() {
    if (!config.metrics.enabled() || metrics_endpoint) return;
    try {
        metrics_endpoint = std::make_unique<core::HttpEndpoint>(
            config.metrics.host, config.metrics.port,
            [this](std::string_view path) { return answer_metrics_endpoint(*this, path); });
    } catch (const std::runtime_error& e) {
        throw Error(Error::Kind::config, config.file.string() + ": metrics.listen: " + e.what());
    }
    logger->info("metrics on http://{}:{}/metrics (/healthz, /readyz)",
                 config.metrics.host.find(':') != std::string::npos ? "[" + config.metrics.host + "]"
                                                                    : config.metrics.host,
                 metrics_endpoint->port());
}

void Runtime::Impl::load_plugin(core::PluginSection& section) {
    std::shared_ptr<const core::PluginLibrary> library;
    const core::FileIdentity identity = core::FileIdentity::of(section.path);  // before: what a reload compares with
    try {
        library = core::PluginLibrary::load(section.path);
    } catch (const core::PluginLoadError& e) {
        throw Error(Error::Kind::plugin, e.what());
    }
    const core::Manifest& manifest = library->manifest();
    if (manifest.name != section.name) {
        throw Error(Error::Kind::plugin, section.where.to_string() + ": plugins." + section.name + ": " +
                                             section.path.string() + " is the plugin '" + manifest.name +
                                             "'; name the table [plugins." + manifest.name + "]");
    }
    try {
        for (const auto& custom : manifest.custom_events) {
            catalogue.register_custom(custom.name, custom.type, custom.description, manifest.name);
        }
    } catch (const core::CatalogueError& e) {
        throw Error(Error::Kind::plugin, "plugin '" + manifest.name + "': " + e.what());
    }
    try {
        core::apply_plugin_schema(section, manifest.config_schema_json);
    } catch (const core::ConfigError& e) {
        throw Error(Error::Kind::config, e.what());
    }
    try {
        instances.push_back(std::make_unique<core::PluginInstance>(library, *host, section.options.dump()));
    } catch (const core::PluginError& e) {
        throw Error(Error::Kind::plugin, e.what());
    }
    libraries[section.name] = library;
    library_identity[section.name] = identity;
    logger->info("loaded plugin '{}' {} (ABI {}) from {}", manifest.name, manifest.version,
                 library->abi_version().to_string(), section.path.string());
}

std::vector<core::Endpoint*> Runtime::Impl::endpoints() const {
    std::vector<core::Endpoint*> out;
    for (const auto& instance : instances) out.push_back(instance.get());
    for (const auto& handler : handlers) out.push_back(handler.get());
    return out;
}

std::unique_ptr<Runtime> make_runtime(core::RuntimeConfig config, RuntimeOptions options,
                                      std::unique_ptr<core::Clock> clock, Assembly assembly) {
    return std::unique_ptr<Runtime>(new Runtime(
        std::make_unique<Runtime::Impl>(std::move(config), std::move(options), std::move(clock), assembly)));
}

std::unique_ptr<Runtime> Runtime::from_file(const std::filesystem::path& config_file, RuntimeOptions options) {
    core::RuntimeConfig config;
    try {
        config = core::load_config_file(config_file);
    } catch (const core::ConfigError& e) {
        throw Error(Error::Kind::config, e.what());
    }
    return make_runtime(std::move(config), std::move(options), std::make_unique<core::SystemClock>());
}

std::unique_ptr<Runtime> Runtime::from_string(std::string_view toml, const std::filesystem::path& base_dir,
                                              RuntimeOptions options) {
    core::RuntimeConfig config;
    try {
        config = core::parse_config(toml, "<string>", base_dir);
    } catch (const core::ConfigError& e) {
        throw Error(Error::Kind::config, e.what());
    }
    return make_runtime(std::move(config), std::move(options), std::make_unique<core::SystemClock>());
}

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() {
    try {
        stop();
    } catch (const Error& e) {
        impl_->logger->error("{}", e.what());
    }
    // Threads still inside a plugin need the plugin's code, the bus and the host to stay where they are: a stop that
    // gave up leaves the runtime alive for the rest of the process rather than pulling it out from under them.
    if (impl_->stuck) static_cast<void>(impl_.release());
}

void Runtime::add_handler(std::shared_ptr<Handler> handler) {
    if (impl_->running) throw Error(Error::Kind::plugin, "handlers can only be added before start()");
    try {
        impl_->handlers.push_back(std::make_unique<core::HandlerEndpoint>(std::move(handler), *impl_->host));
    } catch (const std::invalid_argument& e) {
        throw Error(Error::Kind::plugin, std::string("handler: ") + e.what());
    }
}

std::vector<std::string> Runtime::check() const {
    try {
        return core::build_wiring(impl_->catalogue, impl_->endpoints(), core::SessionStage::published_events()).warnings;
    } catch (const core::WiringError& e) {
        throw Error(Error::Kind::plugin, e.what());
    }
}

std::vector<std::string> Runtime::start() { return impl_->start(); }

PublishResult Runtime::publish(const cim::OutgoingEvent& event) {
    const cim_event_t view = event.abi();
    return impl_->bus->publish_abi(nullptr, core::from_abi(view));
}

PublishResult Runtime::publish_json(std::string_view json) {
    core::Event event;
    try {
        event = core::parse_event_json(json, impl_->catalogue);
    } catch (const core::EventError& e) {
        return {PublishStatus::invalid, e.what(), {}};
    }
    return impl_->bus->publish(nullptr, std::move(event));
}

std::vector<PublishResult> Runtime::publish_many(const std::vector<cim::OutgoingEvent>& events) {
    std::vector<core::Event> batch;
    batch.reserve(events.size());
    for (const auto& event : events) {
        const cim_event_t view = event.abi();
        batch.push_back(core::from_abi(view));
    }
    return impl_->bus->publish_abi_many(nullptr, std::move(batch));
}

std::vector<PublishResult> Runtime::publish_many_json(const std::vector<std::string>& lines) {
    std::vector<core::Event> batch;
    batch.reserve(lines.size());
    std::vector<PublishResult> results(lines.size());
    std::vector<std::size_t> position;
    position.reserve(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        try {
            batch.push_back(core::parse_event_json(lines[i], impl_->catalogue));
            position.push_back(i);
        } catch (const core::EventError& e) {
            results[i] = {PublishStatus::invalid, e.what(), {}};
        }
    }
    auto answered = impl_->bus->publish_many(nullptr, std::move(batch));
    for (std::size_t k = 0; k < answered.size(); ++k) results[position[k]] = std::move(answered[k]);
    return results;
}

void Runtime::drain() { impl_->bus->drain(); }

void Runtime::stop() { impl_->stop(); }

std::vector<PluginInfo> Runtime::plugins() const {
    const std::lock_guard reloading(impl_->reload_mutex);
    std::vector<PluginInfo> out;
    for (const auto& instance : impl_->instances) {
        const core::Manifest& m = instance->manifest();
        out.push_back({m.name, m.version, m.description, instance->library().abi_version().to_string(),
                       instance->library().path().string(), m.publishes, m.consumes, m.config_schema_json,
                       instance->counters().delivered.load(), instance->counters().failed.load(),
                       instance->counters().slow.load()});
    }
    for (const auto& handler : impl_->handlers) {
        const core::Manifest& m = handler->manifest();
        out.push_back({m.name, m.version, m.description, "in-process", "", m.publishes, m.consumes,
                       m.config_schema_json, handler->counters().delivered.load(), handler->counters().failed.load(),
                       handler->counters().slow.load()});
    }
    return out;
}

nlohmann::json Runtime::conversation_state(const std::string& conversation_id) const {
    return impl_->sessions ? impl_->sessions->conversation_state(conversation_id) : nlohmann::json();
}

nlohmann::json Runtime::conversation(const std::string& conversation_id) const {
    return impl_->host->conversation(conversation_id);
}

nlohmann::json Runtime::customer_journey(const std::string& customer_id) const {
    return impl_->host->customer_journey(customer_id);
}

std::vector<EventInfo> Runtime::events() const { return core::describe(impl_->catalogue); }

std::vector<EventInfo> builtin_events() { return core::describe(core::Catalogue{}); }

Metrics Runtime::metrics() const {
    const core::BusMetrics m = impl_->bus->metrics();
    const core::StoreHealth health = impl_->store->health();
    Metrics out{m.accepted, m.busy, m.invalid, m.deliveries, m.delivery_failures, m.in_flight, m.duplicates,
                m.failed,   m.slow_deliveries, health.writable, health.failure};
    const core::JournalReads reads = impl_->store->journal_reads();
    out.journal_reads = reads.reads;
    out.journal_events_read = reads.events;
    if (impl_->sessions) {
        const core::SessionStageCounters sessions = impl_->sessions->counters();
        out.conversations_evicted = sessions.evicted;
        out.snapshots_written = sessions.snapshots;
    }
    return out;
}

}  // namespace cim::runtime
