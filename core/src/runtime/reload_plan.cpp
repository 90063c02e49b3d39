#include "runtime/reload_plan.hpp"

#include <sys/stat.h>

#include <algorithm>

namespace cim::core {

FileIdentity FileIdentity::of(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
            static_cast<std::uint64_t>(st.st_size),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

const char* to_string(PluginChange change) {
    switch (change) {
        case PluginChange::unchanged: return "unchanged";
        case PluginChange::reconfigured: return "reconfigured";
        case PluginChange::replaced: return "replaced";
        case PluginChange::added: return "added";
        case PluginChange::removed: return "removed";
    }
    return "?";
}

bool ReloadPlan::changes_anything() const {
    return std::any_of(steps.begin(), steps.end(), [](const PluginStep& s) { return s.change != PluginChange::unchanged; });
}

namespace {

template <class Value, class Show>
void compare(std::vector<std::string>& out, const std::string& key, const Value& a, const Value& b, Show show) {
    if (!(a == b)) out.push_back(key + ": " + show(a) + " -> " + show(b));
}

std::string number(std::size_t n) { return std::to_string(n); }
std::string millis(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }
std::string text(const std::string& s) { return "\"" + s + "\""; }
std::string path(const std::filesystem::path& p) { return "\"" + p.string() + "\""; }

const PluginSection* enabled_named(const RuntimeConfig& config, const std::string& name) {
    for (const PluginSection& section : config.plugins) {
        if (section.enabled && section.name == name) return &section;
    }
    return nullptr;
}

}  // namespace

std::vector<std::string> restart_only_changes(const RuntimeConfig& current, const RuntimeConfig& next) {
    std::vector<std::string> out;
    const RuntimeSection &a = current.runtime, &b = next.runtime;
    compare(out, "runtime.threads", a.threads, b.threads, number);
    compare(out, "runtime.shards", a.shards, b.shards, number);
    compare(out, "runtime.shard_capacity", a.shard_capacity, b.shard_capacity, number);
    compare(out, "runtime.slow_delivery", a.slow_delivery, b.slow_delivery, millis);
    compare(out, "runtime.control_socket", a.control_socket, b.control_socket, path);
    compare(out, "store.kind", current.store.kind, next.store.kind, text);
    compare(out, "store.path", current.store.path, next.store.path, path);
    compare(out, "store.sync", current.store.sync, next.store.sync, text);
    compare(out, "store.max_backlog", current.store.max_backlog, next.store.max_backlog, number);
    compare(out, "sessions.customer_inactivity_timeout", current.sessions.customer_inactivity_timeout,
            next.sessions.customer_inactivity_timeout, millis);
    return out;
}

bool same_library(const PluginSection& running, const FileIdentity& loaded, const PluginSection& section) {
    return running.path == section.path && loaded == FileIdentity::of(section.path);
}

ReloadPlan plan_reload(const RuntimeConfig& current, const std::map<std::string, FileIdentity>& loaded,
                       const RuntimeConfig& next) {
    ReloadPlan plan;
    for (const PluginSection& section : next.plugins) {
        if (!section.enabled) continue;
        const PluginSection* running = enabled_named(current, section.name);
        PluginChange change = PluginChange::added;
        if (running != nullptr) {
            const auto identity = loaded.find(section.name);
            if (identity == loaded.end() || !same_library(*running, identity->second, section)) {
                change = PluginChange::replaced;
            } else {
                change = running->options == section.options ? PluginChange::unchanged : PluginChange::reconfigured;
            }
        }
        plan.steps.push_back({section.name, change});
    }
    for (const PluginSection& section : current.plugins) {
        if (section.enabled && enabled_named(next, section.name) == nullptr) {
            plan.steps.push_back({section.name, PluginChange::removed});
        }
    }
    return plan;
}

}  // namespace cim::core
