// The embedding API: build a runtime from runtime.toml, add in-process handlers, publish, stop.
//
// Nothing is global: every Runtime owns its catalogue, plugins, bus and threads, so two runtimes live side by side
// in one process.
//
//     auto rt = cim::runtime::Runtime::from_file("runtime.toml");
//     rt->add_handler(std::make_shared<Auditor>());
//     for (const auto& warning : rt->start()) std::cerr << "warning: " << warning << '\n';
//     rt->publish_json(R"({"name":"CUSTOMER_MESSAGE","conversationId":"c1","customerId":"u1"})");
//     rt->stop();
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cim/outgoing_event.hpp"
#include "cim/runtime/catalogue.hpp"
#include "cim/runtime/error.hpp"
#include "cim/runtime/handler.hpp"
#include "cim/runtime/publish_result.hpp"

namespace cim::runtime {

/// A loaded plugin or registered handler, as `cimrt plugins` shows it.
struct PluginInfo {
    std::string name;
    std::string version;
    std::string description;
    std::string abi_version;                 ///< "1.0.0"; "in-process" for handlers
    std::string path;                        ///< the shared object; empty for handlers
    std::vector<std::string> publishes;
    std::vector<std::string> consumes;
    std::string config_schema_json;          ///< empty = takes no options
    std::uint64_t delivered = 0;             ///< successful deliveries so far
    std::uint64_t failed = 0;                ///< failed or throwing deliveries and timers so far
    std::uint64_t slow = 0;                  ///< deliveries and timers that ran past [runtime] slow_delivery
};

/// Runtime-wide counters (DESIGN §7: metrics are a view of these).
struct Metrics {
    std::uint64_t accepted = 0;              ///< events accepted by publish
    std::uint64_t busy = 0;                  ///< publishes refused because a shard was full
    std::uint64_t rejected = 0;              ///< publishes refused as invalid or undeclared
    std::uint64_t deliveries = 0;            ///< successful deliveries to consumers
    std::uint64_t delivery_failures = 0;     ///< failed or throwing deliveries and timers
    std::uint64_t in_flight = 0;             ///< accepted events not yet delivered
    std::uint64_t duplicates = 0;            ///< publishes of an already applied event id (accepted, not re-applied)
    std::uint64_t store_refused = 0;         ///< publishes refused (status failed) because the store cannot write
    std::uint64_t slow_deliveries = 0;       ///< deliveries and timers that ran past [runtime] slow_delivery
    bool store_writable = true;              ///< false while the store cannot write (publishing is refused meanwhile)
    std::string store_failure;               ///< why not, naming the file and the reason; empty while writable
    std::uint64_t journal_reads = 0;         ///< times the journal was read back (start-up, queries of conversations
                                             ///< not in memory, the first view of one that is)
    std::uint64_t journal_events_read = 0;   ///< journal entries those reads visited
    std::uint64_t conversations_evicted = 0; ///< CLOSED conversations that left memory after [sessions] closed_grace
    std::uint64_t snapshots_written = 0;     ///< partition snapshots of the session state handed to the store
};

/// Options that are not the operator's business (so not in runtime.toml).
struct RuntimeOptions {
    bool log_to_stderr = true;               ///< log through spdlog to stderr
    std::string log_level = "info";          ///< trace, debug, info, warn, error, off
    /// false: open the store read-only instead of as its owner, so the runtime can be built (plugins loaded and
    /// created, wiring checked, plugins() listed) while another process runs on the same store — what `cimrt check`,
    /// `plugins` and `graph` do. Such a runtime refuses start().
    bool own_store = true;
};

/// What Runtime::reload did. When `ok` is false nothing changed: the plugins that ran before run on, with the
/// configuration they had (those already stopped for the reload were started again, `rolled_back`).
struct ReloadReport {
    bool ok = true;
    Error::Kind error_kind = Error::Kind::config;  ///< when not ok: config (the file), plugin (load, create, start)
    std::string error;                       ///< when not ok: why, naming file:line:column and key, or the plugin
    bool rolled_back = false;                ///< a plugin failed after the changed ones were stopped; they run again
    std::vector<std::string> started;        ///< plugins newly enabled
    std::vector<std::string> stopped;        ///< plugins disabled or removed from the file
    std::vector<std::string> restarted;      ///< plugins whose table or .so changed: stopped, created anew, started
    std::vector<std::string> unchanged;      ///< plugins left running untouched
    std::vector<std::string> warnings;       ///< the new wiring's
    /// One line for a log or a terminal: "started survey; restarted bot; 2 unchanged" or the error.
    std::string summary() const;
};

class Runtime {
public:
    /// Reads `config_file`, loads and creates every enabled plugin. Throws Error (kind config or plugin).
    static std::unique_ptr<Runtime> from_file(const std::filesystem::path& config_file, RuntimeOptions options = {});
    /// The same from TOML text; relative paths resolve against `base_dir`.
    static std::unique_ptr<Runtime> from_string(std::string_view toml, const std::filesystem::path& base_dir,
                                                RuntimeOptions options = {});
    /// Stops the runtime if it is running; never throws (a failed stop is logged).
    ~Runtime();

    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    /// Adds an in-process handler; only before start(). Throws Error (kind plugin) for an invalid manifest.
    void add_handler(std::shared_ptr<Handler> handler);
    /// Validates the wiring without starting anything: what `cimrt check` does after loading. Returns the wiring's
    /// warnings; throws Error (kind plugin) when the manifests cannot be wired.
    std::vector<std::string> check() const;
    /// Wires everything and starts the workers and every plugin. Returns the wiring's warnings. Throws Error (kind
    /// plugin) when the wiring fails or a plugin fails to start (plugins already started are stopped again).
    std::vector<std::string> start();
    /// Publishes as an external source (allowed any catalogue event). Thread-safe.
    PublishResult publish(const cim::OutgoingEvent& event);
    /// Publishes one event given in its JSON wire form. Thread-safe.
    PublishResult publish_json(std::string_view json);
    /// Publishes a batch in order, cheaper per event than one publish() each: one shard lock and at most one worker
    /// wake-up per shard the batch touches, and with sync = "full" one wait for the disk per shard. results[i]
    /// answers events[i]. Per conversation the accepted events are a prefix of its events in the batch: once one is
    /// refused (busy: a full shard or store back-pressure; failed: the store cannot write), the later ones of the
    /// same shard are refused as busy, so retrying the refused ones in order keeps the conversation's order.
    /// Thread-safe.
    std::vector<PublishResult> publish_many(const std::vector<cim::OutgoingEvent>& events);
    /// publish_many() of events in their JSON wire form; a line that does not parse is answered invalid (naming why)
    /// and the others go on.
    std::vector<PublishResult> publish_many_json(const std::vector<std::string>& lines);
    /// Blocks until every accepted event has been delivered. Must not be called from a handler.
    void drain();
    /// Stops plugins' input, drains what was accepted, stops the workers and writes out the journal, all within
    /// [runtime] stop_timeout. Idempotent. Throws Error kind stuck when a delivery still runs at the deadline (the
    /// message names the plugin, the event and for how long; the runtime is then never destroyed, see Error::Kind),
    /// or kind store when accepted events could not be written (the store's reason).
    void stop();

    /// Re-reads `config_file` and applies it to the running runtime (docs/reload.md): the file is checked first;
    /// only plugins whose table or .so changed are stopped and started again (their conversations' state stays in
    /// the runtime), an added plugin starts, a disabled one stops, all others keep running untouched. A plugin that
    /// fails to load, create or start rolls the whole reload back. A change outside [plugins] that needs a restart
    /// (threads, shards, the store, sessions) refuses the reload, naming the key. Never throws; the report says
    /// what happened. Thread-safe (reloads and stop() are serialised); only while started.
    ReloadReport reload(const std::filesystem::path& config_file);
    /// reload() of the file the runtime was built from (from_file).
    ReloadReport reload();
    /// Where `cimrt run` serves its control socket for this configuration ([runtime] control_socket).
    std::filesystem::path control_socket() const;

    /// The enabled plugins, then the handlers, in load order.
    std::vector<PluginInfo> plugins() const;
    /// The tracked state of a conversation right now — {id, state, customerId, channelSessions[{id, state,
    /// interactive}], participants[{id, type, role, active}]} — or null when the runtime tracks no such conversation.
    /// Consistent with every event accepted before the call. Thread-safe; only while started.
    nlohmann::json conversation_state(const std::string& conversation_id) const;
    /// The conversation with its timeline, as `cimrt inspect conversation --json` shows it (state, channel sessions,
    /// participants, activities with their updates), or null when unknown. Reflects every accepted event.
    /// Thread-safe. A conversation in memory is answered from memory (its history is read from the store the first
    /// time only): O(conversation), no disk. Any other is read through the journal's index: O(conversation).
    nlohmann::json conversation(const std::string& conversation_id) const;
    /// The customer's journey across channels and conversations, as `cimrt inspect customer --json` shows it.
    /// Thread-safe; reads the whole journal.
    nlohmann::json customer_journey(const std::string& customer_id) const;
    /// The catalogue: built-in events, then the custom events the loaded plugins declared.
    std::vector<EventInfo> events() const;
    /// A snapshot of the counters.
    Metrics metrics() const;

    /// The core's side. Opaque: embedders build runtimes with from_file / from_string.
    class Impl;
    explicit Runtime(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> impl_;
};

/// The control socket `cimrt run` serves for `config_file` ([runtime] control_socket), read without loading any
/// plugin or opening the store. When the file does not parse, the default beside it (<config dir>/var/cimrt.sock):
/// a reload of a broken file must still reach the runtime, to be refused there.
std::filesystem::path control_socket_for(const std::filesystem::path& config_file);

}  // namespace cim::runtime
