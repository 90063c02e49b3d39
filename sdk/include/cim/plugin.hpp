// cim/plugin.hpp — `cim::Plugin`, the base class of every C++ plugin, and the context it is created with.
#pragma once

#include <chrono>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "cim/host.hpp"
#include "cim/logger.hpp"
#include "cim/outgoing_event.hpp"

namespace cim {

/**
 * What a plugin instance is created with: the host's services and its configuration (its table of runtime.toml,
 * already checked against the manifest's `config_schema`; an empty object when the table has no keys).
 *
 * Thread-safety: a plain value; read-only after creation.
 */
struct PluginContext {
    /// The host's services for this instance.
    Host host;
    /// The plugin's configuration, a JSON object.
    nlohmann::json config;
};

/**
 * The base class of a plugin. A plugin is a plain class deriving from it, exported with CIM_PLUGIN(Class) (see
 * cim/plugin_export.hpp). The class must define:
 *
 *     static cim::Manifest manifest();                      // what it is, what it publishes and consumes
 *     explicit MyPlugin(const cim::PluginContext& context);  // reads config(); throwing here fails `create`
 *
 * and may define any of these hooks (public; const and/or noexcept are fine):
 *
 *     void on_start();                          // begin work: open sockets, schedule timers
 *     void on_event(const cim::Event& event);   // an event the manifest consumes (required when it consumes any)
 *     void on_timer(std::uint64_t token);       // a timer from schedule() is due
 *     void on_stop();                           // stop taking outside input; events may still arrive while draining
 *
 * The hooks are not virtual: CIM_PLUGIN detects them at compile time, so a hook the class leaves out costs nothing
 * (the host sees NULL and never calls it), and a hook with a wrong signature fails the build with a static_assert
 * that shows the expected one, instead of silently never being called. Hooks return void and signal failure by
 * throwing: the host gets CIM_ERROR with the exception's what() as `last_error`, and only that call is counted as
 * failed. The destructor is the place to free what on_start acquired.
 *
 * Thread-safety: `on_event` and `on_timer` run on the runtime's worker threads, concurrently for different
 * conversations (never for the same one), so a plugin guards state it shares across conversations; the methods of
 * this base class are safe from any thread.
 *
 *     class Echo : public cim::Plugin {
 *     public:
 *         explicit Echo(const cim::PluginContext& context)
 *             : cim::Plugin(context), prefix_(config().value("prefix", "echo: ")) {}
 *         static cim::Manifest manifest() {
 *             return {.name = "echo", .version = "1.0.0", .publishes = {"BOT_MESSAGE"},
 *                     .consumes = {"CUSTOMER_MESSAGE"}};
 *         }
 *         void on_event(const cim::Event& event) {
 *             auto reply = cim::OutgoingEvent("BOT_MESSAGE").reply_to(event).data(
 *                 {{"text", prefix_ + event.data().value("text", "")}});
 *             if (auto result = publish(reply); !result.ok()) throw cim::Error(result.error);
 *         }
 *     private:
 *         std::string prefix_;
 *     };
 *     CIM_PLUGIN(Echo);
 */
class Plugin {
public:
    /// Keeps the host and the configuration for the accessors below.
    explicit Plugin(const PluginContext& context) : host_(context.host), config_(context.config) {}
    /// Virtual so that a plugin object is always destroyed whole, even through a `Plugin*`.
    virtual ~Plugin() = default;

    // The host owns each instance through the pointer `create` returned; a copy would be a second, unknown instance.
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;

    /// The host's services.
    [[nodiscard]] const Host& host() const noexcept { return host_; }
    /// The configuration this instance was created with (a JSON object).
    [[nodiscard]] const nlohmann::json& config() const noexcept { return config_; }
    /// The runtime's log, tagged with the plugin's name.
    [[nodiscard]] const Logger& log() const noexcept { return host_.log(); }

    /// Publishes `event`; see Host::publish. Valid from on_start until the host's drain after on_stop completes.
    [[nodiscard]] PublishResult publish(const OutgoingEvent& event) const { return host_.publish(event); }
    /// Asks for on_timer(token) after `delay`; see Host::schedule.
    void schedule(std::chrono::milliseconds delay, std::uint64_t token) const { host_.schedule(delay, token); }
    /// Cancels the pending timers with `token`; see Host::cancel.
    void cancel(std::uint64_t token) const { host_.cancel(token); }

private:
    Host host_;
    nlohmann::json config_;
};

}  // namespace cim
