// What a hot reload has to do: the difference between the runtime.toml a runtime runs and the one it is asked to
// run, plugin by plugin (docs/reload.md). Pure: no plugin is loaded or touched here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/runtime_config.hpp"

namespace cim::core {

/// Which file a path names right now: a rebuilt or reinstalled .so is a new file (new inode, size or mtime) even at
/// the same path.
struct FileIdentity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileIdentity&) const = default;

    /// The identity of `path` (following symlinks); all zero when it cannot be read.
    static FileIdentity of(const std::filesystem::path& path);
};

enum class PluginChange {
    unchanged,     ///< same table, same file: keeps running, untouched
    reconfigured,  ///< same file, other options: stopped, created again with the new options, started
    replaced,      ///< another file (path or identity): stopped, unloaded, the new file loaded, created, started
    added,         ///< newly enabled: loaded, created, started
    removed,       ///< disabled or gone from the file: stopped and unloaded
};

const char* to_string(PluginChange change);

struct PluginStep {
    std::string name;
    PluginChange change = PluginChange::unchanged;
};

struct ReloadPlan {
    /// The new file's enabled plugins in its order, then the removed ones in the old order.
    std::vector<PluginStep> steps;
    bool changes_anything() const;
};

/// Keys outside [plugins] whose change a running runtime cannot apply (the store, the shards, the threads...), each
/// as "runtime.threads: 2 -> 4". Empty when the reload may go on. ([runtime] stop_timeout applies live.)
std::vector<std::string> restart_only_changes(const RuntimeConfig& current, const RuntimeConfig& next);

/// The plan from `current` (as running: options with their schema defaults filled in) to `next`. `loaded` is the
/// identity each running plugin's file had when it was loaded. The options of a plugin of `next` are compared as
/// given, so the caller fills in the schema defaults of plugins whose file is unchanged first.
ReloadPlan plan_reload(const RuntimeConfig& current, const std::map<std::string, FileIdentity>& loaded,
                       const RuntimeConfig& next);

/// Whether `section` of `next` runs the same file as the running plugin of that name.
bool same_library(const PluginSection& running, const FileIdentity& loaded, const PluginSection& section);

}  // namespace cim::core
