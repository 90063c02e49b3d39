// The core's side of cim::runtime::Runtime: owns everything one runtime is made of. Member order is destruction
// order in reverse, and matters: the bus stops (draining into the endpoints) before the endpoints go, and the
// endpoints go before the catalogue and the clock they were built on.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "bus/bus.hpp"
#include "bus/clock.hpp"
#include "cim/runtime/runtime.hpp"
#include "config/runtime_config.hpp"
#include "event/catalogue.hpp"
#include "metrics/http_endpoint.hpp"
#include "plugin/plugin_instance.hpp"
#include "plugin/plugin_library.hpp"
#include "runtime/handler_endpoint.hpp"
#include "runtime/reload_plan.hpp"
#include "runtime/runtime_host.hpp"
#include "runtime/session_stage.hpp"
#include "state/plugin_state.hpp"
#include "store/store.hpp"

namespace cim::runtime {

/// Which parts a runtime is assembled from. Everything, always, except in benchmarks that measure the parts: without
/// the session stage an event is neither tracked nor journaled — the bare bus (bench/, scenario "bus").
struct Assembly {
    bool session_stage = true;
};

class Runtime::Impl {
public:
    /// Opens the store and loads and creates every enabled plugin of `config`. Throws Error.
    Impl(core::RuntimeConfig config, RuntimeOptions options, std::unique_ptr<core::Clock> clock,
         Assembly assembly = {});
    /// Stops the bus before any member goes: nothing may still be delivering into what is destroyed below.
    ~Impl();

    // The lifecycle: the order of start and stop is this class's, nobody else's (runtime.cpp says why each step
    // comes where it does).
    /// Wires and starts the bus, restores conversations and plugin state, arms their deadlines, starts the plugins.
    /// Returns the wiring's warnings. Throws Error; a failed start leaves nothing running.
    std::vector<std::string> start();
    /// Stops the plugins (reverse start order), drains and stops the bus, snapshots, flushes the store. Idempotent.
    /// Throws Error (stuck: threads still inside plugins; store: accepted events not written).
    void stop();

    /// Every endpoint in wiring order: plugins in config order, then handlers.
    std::vector<core::Endpoint*> endpoints() const;

    core::RuntimeConfig config;
    core::Catalogue catalogue;
    std::unique_ptr<core::Clock> clock;
    std::shared_ptr<spdlog::logger> logger;
    std::unique_ptr<core::Bus> bus;
    // After the bus: destroyed before it, so the store's writer (which tells the bus of every commit) is joined
    // while the bus still exists.
    std::unique_ptr<core::Store> store;
    std::unique_ptr<core::PluginState> plugin_state;  ///< plugins' own state (ABI 1.2); written through to the store
    std::unique_ptr<core::RuntimeHost> host;  ///< what plugins and handlers reach through cim_host_t
    std::vector<std::unique_ptr<core::PluginInstance>> instances;
    std::vector<std::unique_ptr<core::HandlerEndpoint>> handlers;
    std::unique_ptr<core::SessionStage> sessions;
    std::vector<core::PluginInstance*> started;  ///< in start order, for stopping in reverse
    bool running = false;
    /// Where the lifecycle stands, for /readyz (read from the metrics endpoint's thread, hence atomic).
    enum class Phase { created, restoring, starting_plugins, ready, stopping, stopped };
    std::atomic<Phase> phase{Phase::created};
    bool stuck = false;  ///< a stop gave up: threads may still run inside plugins, so nothing may be destroyed
    bool own_store = true;
    // Hot reload (runtime_reload.cpp): each running plugin's library and the identity its file had when loaded.
    // Holding the library here keeps it loaded while a reload may still need its old code to roll back.
    std::map<std::string, std::shared_ptr<const core::PluginLibrary>> libraries;
    std::map<std::string, core::FileIdentity> library_identity;
    mutable std::mutex reload_mutex;  ///< serialises reload() with itself, stop() and plugins()
    /// [metrics] listen: /metrics, /healthz, /readyz. Last: destroyed first, before anything its pages read.
    std::unique_ptr<core::HttpEndpoint> metrics_endpoint;

    /// Applies `next` to the running runtime (Runtime::reload). Under reload_mutex.
    ReloadReport reload(core::RuntimeConfig next);

private:
    void load_plugin(core::PluginSection& section);
    std::vector<std::string> start_bus();
    void restore_from_store();
    void start_plugins();
    void serve_metrics();
};

/// Builds a runtime on a clock of the caller's choice (tests drive a ManualClock). Throws Error.
std::unique_ptr<Runtime> make_runtime(core::RuntimeConfig config, RuntimeOptions options,
                                      std::unique_ptr<core::Clock> clock, Assembly assembly = {});

}  // namespace cim::runtime
