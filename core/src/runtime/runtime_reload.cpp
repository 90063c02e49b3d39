// Runtime::reload: applies a changed runtime.toml to a running runtime (docs/reload.md).
//
// In three phases, so that a refusal costs nothing:
//  1. check — parse the file, refuse keys that need a restart, load every new or changed .so beside the running
//     copy, check each plugin's table against its schema, and wire the future set with stand-ins. Any error here and
//     nothing was touched.
//  2. swap — stop the changed and removed plugins; park the bus's workers; unwire them, destroy them, create their
//     successors from the new table (and the new .so), wire those; resume. Events published meanwhile wait on their
//     shards and reach the successors: a conversation loses nothing while its bot restarts.
//  3. start the successors. A create or start that fails rolls back: the successors go, and the previous instances
//     are created again from the previous library and table and started.
// Unchanged plugins are never touched, so their sockets (a customer's chat, an agent's desk) stay open throughout.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <tuple>

#include "cim/runtime/runtime.hpp"
#include "runtime/runtime_impl.hpp"

namespace cim::runtime {
namespace {

// Stands in for a plugin not created yet, so the future wiring is checked before anything is stopped.
class ManifestOnly final : public core::Endpoint {
public:
    explicit ManifestOnly(core::Manifest manifest) : manifest_(std::move(manifest)) {}
    const core::Manifest& manifest() const override { return manifest_; }

private:
    core::DeliveryOutcome deliver_(const core::Event&) override { return {false, "not created"}; }
    core::DeliveryOutcome fire_timer_(std::uint64_t) override { return {false, "not created"}; }

    core::Manifest manifest_;
};

// Loads `path` under a name the dynamic loader has never seen (a symlink that lives only for the call): for a name
// it knows, the loader hands back the copy already loaded, which for a replaced .so is the old code. A file that is
// really the same (same inode) is still shared, as it should be.
std::shared_ptr<const core::PluginLibrary> load_beside_running(const std::filesystem::path& path) {
    static std::atomic<unsigned> counter{0};
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      ("cimrt-reload-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
        }
    } cleanup{dir};
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::filesystem::path alias = dir / path.filename();
    if (!ec) std::filesystem::create_symlink(path, alias, ec);
    if (ec) return core::PluginLibrary::load(path);  // no temp folder: the loader may then share the old copy
    return core::PluginLibrary::load(path, alias);
}

std::string joined(const std::vector<std::string>& parts, const char* separator = ", ") {
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : separator) + part;
    return out;
}

const core::PluginSection* enabled_section(const core::RuntimeConfig& config, const std::string& name) {
    for (const auto& section : config.plugins) {
        if (section.enabled && section.name == name) return &section;
    }
    return nullptr;
}

}  // namespace

std::string ReloadReport::summary() const {
    if (!ok) return std::string(rolled_back ? "rolled back: " : "refused: ") + error;
    std::vector<std::string> parts;
    if (!started.empty()) parts.push_back("started " + joined(started));
    if (!stopped.empty()) parts.push_back("stopped " + joined(stopped));
    if (!restarted.empty()) parts.push_back("restarted " + joined(restarted));
    parts.push_back(std::to_string(unchanged.size()) + " unchanged");
    return joined(parts, "; ");
}

ReloadReport Runtime::Impl::reload(core::RuntimeConfig next) {
    ReloadReport report;
    auto refuse = [&](Error::Kind kind, const std::string& why) {
        report.ok = false;
        report.error_kind = kind;
        report.error = why;
        logger->error("reload of {} refused, nothing changed: {}", next.file.string(), why);
        return report;
    };
    if (!running) return refuse(Error::Kind::plugin, "the runtime is not running");
    if (stuck) return refuse(Error::Kind::plugin, "the runtime gave up stopping");

    // 1. Check. Nothing running is touched until the whole new file has passed.
    if (const auto keys = core::restart_only_changes(config, next); !keys.empty()) {
        return refuse(Error::Kind::config, next.file.string() + ": " + joined(keys, "; ") +
                                               ": needs a restart (a reload applies changes under [plugins] only)");
    }
    std::map<std::string, std::shared_ptr<const core::PluginLibrary>> next_libraries;
    std::map<std::string, core::FileIdentity> next_identity;
    for (core::PluginSection& section : next.plugins) {
        if (!section.enabled) continue;
        std::shared_ptr<const core::PluginLibrary> library;
        const core::PluginSection* running_section = enabled_section(config, section.name);
        if (running_section != nullptr &&
            core::same_library(*running_section, library_identity.at(section.name), section)) {
            library = libraries.at(section.name);
            next_identity[section.name] = library_identity.at(section.name);
        } else {
            next_identity[section.name] = core::FileIdentity::of(section.path);
            try {
                library = load_beside_running(section.path);
            } catch (const core::PluginLoadError& e) {
                return refuse(Error::Kind::plugin, e.what());
            }
            const core::Manifest& manifest = library->manifest();
            if (manifest.name != section.name) {
                return refuse(Error::Kind::plugin, section.where.to_string() + ": plugins." + section.name + ": " +
                                                       section.path.string() + " is the plugin '" + manifest.name +
                                                       "'; name the table [plugins." + manifest.name + "]");
            }
            // The catalogue is read without a lock on the routing path, so it cannot grow while running.
            for (const auto& custom : manifest.custom_events) {
                const core::EventKind* known = catalogue.find(custom.name);
                if (known == nullptr || known->type != custom.type) {
                    return refuse(Error::Kind::plugin, "plugin '" + manifest.name + "' declares the custom event '" +
                                                           custom.name +
                                                           "', new to this runtime: a new event kind needs a restart");
                }
            }
        }
        try {
            core::apply_plugin_schema(section, library->manifest().config_schema_json);
        } catch (const core::ConfigError& e) {
            return refuse(Error::Kind::config, e.what());
        }
        next_libraries[section.name] = std::move(library);
    }

    core::ReloadPlan plan = core::plan_reload(config, library_identity, next);
    for (core::PluginStep& step : plan.steps) {
        // The check above decided which files are new; the plan follows it even if a file changed again since.
        const auto chosen = next_libraries.find(step.name);
        const auto running_library = libraries.find(step.name);
        if (chosen != next_libraries.end() && running_library != libraries.end() &&
            chosen->second != running_library->second) {
            step.change = core::PluginChange::replaced;
        }
    }
    auto instance_named = [&](const std::string& name) -> core::PluginInstance* {
        for (const auto& instance : instances) {
            if (instance->name() == name) return instance.get();
        }
        return nullptr;
    };
    std::set<std::string> going;  // running plugins to stop: reconfigured, replaced, removed
    std::vector<std::string> coming;  // plugins to create, in the new file's order
    for (const core::PluginStep& step : plan.steps) {
        switch (step.change) {
            case core::PluginChange::unchanged: report.unchanged.push_back(step.name); break;
            case core::PluginChange::reconfigured:
            case core::PluginChange::replaced:
                report.restarted.push_back(step.name);
                going.insert(step.name);
                coming.push_back(step.name);
                break;
            case core::PluginChange::added:
                report.started.push_back(step.name);
                coming.push_back(step.name);
                break;
            case core::PluginChange::removed:
                report.stopped.push_back(step.name);
                going.insert(step.name);
                break;
        }
    }
    {
        std::vector<std::unique_ptr<ManifestOnly>> stand_ins;
        std::vector<core::Endpoint*> future;
        for (const core::PluginStep& step : plan.steps) {
            if (step.change == core::PluginChange::removed) continue;
            if (step.change == core::PluginChange::unchanged) {
                future.push_back(instance_named(step.name));
            } else {
                stand_ins.push_back(std::make_unique<ManifestOnly>(next_libraries.at(step.name)->manifest()));
                future.push_back(stand_ins.back().get());
            }
        }
        for (const auto& handler : handlers) future.push_back(handler.get());
        try {
            report.warnings = core::build_wiring(catalogue, future, core::SessionStage::published_events()).warnings;
        } catch (const core::WiringError& e) {
            return refuse(Error::Kind::plugin, e.what());
        }
    }
    config.runtime.stop_timeout = next.runtime.stop_timeout;  // the one runtime-wide key that applies live
    if (!plan.changes_anything()) {
        config = std::move(next);
        logger->info("reload of {}: no plugin changed", config.file.string());
        return report;
    }

    // 2. Swap. From here on a failure restores the previous set (roll_back).
    const core::RuntimeConfig previous = config;
    const auto limit = config.runtime.stop_timeout;
    auto wired = [&] {
        std::vector<core::Endpoint*> out;
        for (const auto& instance : instances) out.push_back(instance.get());
        for (const auto& handler : handlers) out.push_back(handler.get());
        return out;
    };
    // Stops the started instances named in `names`, newest first, dropping them from `started`.
    auto stop_named = [&](const std::set<std::string>& names) {
        for (auto it = started.rbegin(); it != started.rend(); ++it) {
            if (names.count((*it)->name()) == 0) continue;
            const core::DeliveryOutcome outcome = (*it)->stop();
            if (!outcome.ok) logger->error("plugin '{}' failed to stop: {}", (*it)->name(), outcome.error);
        }
        std::erase_if(started, [&](core::PluginInstance* p) { return names.count(p->name()) != 0; });
    };
    // Under a pause: unwires and destroys the instances named in `names`, then creates one per (name, library,
    // section) in `create` and puts every instance back in `order`. Throws core::PluginError from a create (the
    // instances created so far are then wired, the failed one is not).
    using Creation = std::tuple<std::string, std::shared_ptr<const core::PluginLibrary>, const core::PluginSection*>;
    auto swap = [&](const core::WorkerPause& pause, const std::set<std::string>& names,
                    const std::vector<Creation>& create, const std::vector<std::string>& order) {
        std::vector<std::unique_ptr<core::PluginInstance>> leaving;
        for (auto& instance : instances) {
            if (names.count(instance->name()) != 0) leaving.push_back(std::move(instance));
        }
        std::erase(instances, nullptr);
        // Unwired before destroyed: a successor may be created at the same address, and must not inherit a timer.
        bus->rewire(pause, wired());
        leaving.clear();
        auto put_in_order = [&] {
            std::stable_sort(instances.begin(), instances.end(), [&](const auto& a, const auto& b) {
                auto rank = [&](const std::string& n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
                return rank(a->name()) < rank(b->name());
            });
            bus->rewire(pause, wired());
        };
        try {
            for (const auto& [name, library, section] : create) {
                instances.push_back(std::make_unique<core::PluginInstance>(library, *host, section->options.dump()));
            }
        } catch (...) {
            put_in_order();
            throw;
        }
        put_in_order();
    };
    auto names_in = [](const core::RuntimeConfig& c) {
        std::vector<std::string> out;
        for (const auto& s : c.plugins) {
            if (s.enabled) out.push_back(s.name);
        }
        return out;
    };
    const std::set<std::string> coming_set(coming.begin(), coming.end());

    // Restores the previous set: stops and destroys what this reload created, creates the previous instances again
    // from their library and table, and starts them. Returns the report of a failed reload.
    auto roll_back = [&](Error::Kind kind, const std::string& why) {
        logger->error("reload of {} failed, rolling back: {}", next.file.string(), why);
        stop_named(coming_set);
        std::vector<Creation> restore;
        std::vector<std::string> restoring;
        for (const auto& section : previous.plugins) {
            if (section.enabled && going.count(section.name) != 0) {
                restore.emplace_back(section.name, libraries.at(section.name), &section);
                restoring.push_back(section.name);
            }
        }
        std::string also;
        try {
            const auto pause = bus->pause_workers(limit);
            std::set<std::string> created_names;
            for (const auto& instance : instances) {
                if (coming_set.count(instance->name()) != 0) created_names.insert(instance->name());
            }
            swap(*pause, created_names, restore, names_in(previous));
        } catch (const std::exception& e) {
            also = "; restoring the previous plugins failed too: " + std::string(e.what());
        }
        for (const std::string& name : restoring) {
            core::PluginInstance* instance = instance_named(name);
            if (instance == nullptr) continue;
            try {
                instance->start();
                started.push_back(instance);
            } catch (const core::PluginError& e) {
                also += "; plugin '" + name + "' did not start again: " + e.what();
            }
        }
        report.rolled_back = true;
        report.started.clear();
        report.stopped.clear();
        report.restarted.clear();
        report.ok = false;
        report.error_kind = kind;
        report.error = why + also;
        logger->error("reload of {} rolled back: {}", next.file.string(), report.error);
        config.runtime.stop_timeout = previous.runtime.stop_timeout;
        return report;
    };

    stop_named(going);
    std::vector<Creation> create;
    for (const std::string& name : coming) create.emplace_back(name, next_libraries.at(name), enabled_section(next, name));
    try {
        const auto pause = bus->pause_workers(limit);
        swap(*pause, going, create, names_in(next));
    } catch (const core::BusBusyError& e) {
        // Nothing was unwired: the stopped plugins simply start again.
        for (const auto& instance : instances) {
            if (going.count(instance->name()) == 0) continue;
            try {
                instance->start();
                started.push_back(instance.get());
            } catch (const core::PluginError& again) {
                logger->error("plugin '{}' did not start again: {}", instance->name(), again.what());
            }
        }
        report.rolled_back = true;
        return refuse(Error::Kind::plugin, e.what());
    } catch (const core::PluginError& e) {
        return roll_back(Error::Kind::plugin, e.what());
    } catch (const core::WiringError& e) {
        return roll_back(Error::Kind::plugin, e.what());
    }

    // 3. Start the successors, in the new file's order.
    for (const std::string& name : coming) {
        core::PluginInstance* instance = instance_named(name);
        try {
            instance->start();
            started.push_back(instance);
        } catch (const core::PluginError& e) {
            return roll_back(Error::Kind::plugin, e.what());
        }
    }

    // Committed: the previous libraries of replaced and removed plugins go now (unloaded with their last instance).
    libraries = std::move(next_libraries);
    library_identity = std::move(next_identity);
    config = std::move(next);
    for (const std::string& name : report.stopped) {
        // What was lost on purpose is said where an operator looks first (docs/reload.md: who else is told).
        logger->warn("reload: plugin '{}' is disabled; what it did for running conversations stops now", name);
    }
    for (const std::string& warning : report.warnings) logger->warn("wiring: {}", warning);
    logger->info("reloaded {}: {}", config.file.string(), report.summary());
    return report;
}

ReloadReport Runtime::reload(const std::filesystem::path& config_file) {
    Impl& impl = *impl_;
    const std::lock_guard reloading(impl.reload_mutex);
    core::RuntimeConfig next;
    try {
        next = core::load_config_file(config_file);
    } catch (const core::ConfigError& e) {
        ReloadReport report;
        report.ok = false;
        report.error_kind = Error::Kind::config;
        report.error = e.what();
        impl.logger->error("reload of {} refused, nothing changed: {}", config_file.string(), e.what());
        return report;
    }
    try {
        return impl.reload(std::move(next));
    } catch (const std::exception& e) {
        // Not expected (every step above reports its own failures); still a report, never an exception.
        ReloadReport report;
        report.ok = false;
        report.error_kind = Error::Kind::plugin;
        report.error = std::string("reload failed: ") + e.what();
        impl.logger->error("{}", report.error);
        return report;
    }
}

ReloadReport Runtime::reload() {
    std::filesystem::path file;
    {
        const std::lock_guard reloading(impl_->reload_mutex);
        file = impl_->config.file;
    }
    return reload(file);
}

std::filesystem::path Runtime::control_socket() const { return impl_->config.runtime.control_socket; }

std::filesystem::path control_socket_for(const std::filesystem::path& config_file) {
    try {
        return core::load_config_file(config_file).runtime.control_socket;
    } catch (const core::ConfigError&) {
        return std::filesystem::absolute(config_file).parent_path() / "var" / "cimrt.sock";
    }
}

}  // namespace cim::runtime
