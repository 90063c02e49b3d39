// runtime.toml, read into plain structs (DESIGN §4). Every error names file:line:column and the key path, because an
// operator fixing a config at 3 a.m. should not have to hunt.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cim::core {

/// Where in a config file something stands; line and column are 1-based, 0 when unknown.
struct SourcePosition {
    std::string file;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    /// "file:line:column" (or just "file" when the position is unknown).
    std::string to_string() const;
};

/// A configuration error. what() reads "<file>:<line>:<column>: <key.path>: <problem>".
class ConfigError : public std::runtime_error {
public:
    ConfigError(SourcePosition where, std::string key_path, const std::string& problem);
    const SourcePosition& where() const noexcept { return where_; }
    const std::string& key_path() const noexcept { return key_path_; }
    /// The problem alone, without position and key.
    const std::string& problem() const noexcept { return problem_; }

private:
    SourcePosition where_;
    std::string key_path_;
    std::string problem_;
};

struct RuntimeSection {
    std::size_t threads = 2;
    std::filesystem::path plugin_dir;        ///< absolute; default "<config dir>/build/plugins"
    std::size_t shards = 64;
    std::size_t shard_capacity = 4096;
    /// A delivery (on_event, on_timer) running longer than this is logged with plugin, event and duration, and counted.
    std::chrono::milliseconds slow_delivery = std::chrono::seconds(5);
    /// How long stop() waits for deliveries and the store before it names what holds it and gives up.
    std::chrono::milliseconds stop_timeout = std::chrono::seconds(10);
    /// `cimrt run`'s control socket (cimrt reload talks to it); absolute; default "<config dir>/var/cimrt.sock".
    std::filesystem::path control_socket;
};

struct StoreSection {
    std::string kind = "sqlite";             ///< "memory" | "sqlite"
    std::filesystem::path path;              ///< absolute; default "<config dir>/var/cimrt.db"
    std::string sync = "normal";             ///< "off" | "normal" | "full"
    /// Accepted events not yet committed before publish reports busy: with sync = "normal", what SIGKILL can lose.
    std::size_t max_backlog = 1024;
    /// Journaled events (all partitions together) between two snapshots of the session state; 0 = no snapshots.
    /// Start-up restores the newest snapshot and replays at most about this many events after it.
    std::size_t snapshot_interval = 100000;
};

struct SessionsSection {
    std::chrono::milliseconds customer_inactivity_timeout = std::chrono::minutes(10);
    /// A CLOSED conversation leaves memory this long after it closed; it is then answered from the store.
    std::chrono::milliseconds closed_grace = std::chrono::minutes(10);
};

/// `[metrics]`: the HTTP endpoint for Prometheus and probes (docs/operating.md). Off unless `listen` is set.
struct MetricsSection {
    std::string host;                        ///< an IP address to bind ("127.0.0.1", "::1", "0.0.0.0"); empty = off
    std::uint16_t port = 0;                  ///< 1..65535 when on
    bool enabled() const noexcept { return !host.empty(); }
};

struct PluginSection {
    std::string name;                        ///< the table name in [plugins.<name>]
    bool enabled = true;
    std::filesystem::path path;              ///< absolute; default "<plugin_dir>/<name>.so"
    nlohmann::json options = nlohmann::json::object();  ///< the table minus `enabled` and `path`
    SourcePosition where;                    ///< the table's header
    /// Where each option key stands, by JSON pointer ("/listen", "/agents/0/id"): lets a schema violation found
    /// later still name file:line:column.
    std::map<std::string, SourcePosition> option_positions;
};

struct RuntimeConfig {
    std::filesystem::path file;              ///< the file read, or "<string>" for inline text
    std::filesystem::path base_dir;          ///< relative paths resolve against this (the file's folder)
    RuntimeSection runtime;
    StoreSection store;
    SessionsSection sessions;
    MetricsSection metrics;
    std::vector<PluginSection> plugins;      ///< in file order, enabled or not
};

/// Reads and checks a runtime.toml. Throws ConfigError (file:line:column, key path, "did you mean" for a close typo).
RuntimeConfig load_config_file(const std::filesystem::path& file);
/// Same, from text; `source_name` names it in errors and `base_dir` anchors relative paths (made absolute against the
/// working directory; empty means the working directory).
RuntimeConfig parse_config(std::string_view text, const std::string& source_name, const std::filesystem::path& base_dir);

/// Parses "250ms", "90s", "10m", "2h" (a positive integer and a unit). Returns nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// Checks `plugin.options` against the plugin's JSON Schema (the supported subset is documented in
/// docs/config-schema.md), filling in declared defaults. Throws ConfigError at the offending key's position, with
/// the key path "plugins.<name>.<key>". An empty schema accepts no keys at all. On error `plugin` is left unchanged.
void apply_plugin_schema(PluginSection& plugin, const std::string& schema_json);

}  // namespace cim::core
