// One created plugin: the bridge between the bus's Endpoint interface and the plugin's C hooks.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "bus/endpoint.hpp"
#include "plugin/host_services.hpp"
#include "plugin/plugin_library.hpp"
#include "plugin/persistent_timers.hpp"
#include "plugin/plugin_metrics.hpp"

namespace cim::core {

/// A plugin hook failed at a point where the runtime cannot go on with it (create, start); names plugin and reason.
struct PluginError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class PluginInstance final : public Endpoint {
public:
    /// Calls the plugin's `create` with its config (a JSON object, already checked against its schema).
    /// Throws PluginError with the plugin's last_error when create fails.
    PluginInstance(std::shared_ptr<const PluginLibrary> library, HostServices& host, const std::string& config_json);
    /// Calls `destroy`. The library stays loaded while this instance (or anything else holding it) lives.
    ~PluginInstance() override;

    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    /// Calls `start`; throws PluginError when it fails.
    void start();
    /// Calls `stop`; a failure is returned, not thrown: stopping goes on for every other plugin.
    DeliveryOutcome stop();

    const Manifest& manifest() const override { return library_->manifest(); }

    const PluginLibrary& library() const noexcept { return *library_; }

    /// The plugin's own metrics (ABI 1.4), for /metrics.
    const PluginMetrics& metrics() const noexcept { return metrics_; }

private:
    DeliveryOutcome deliver_(const Event& event) override;
    DeliveryOutcome fire_timer_(std::uint64_t token) override;
    DeliveryOutcome outcome_of(cim_rc_t rc, const char* hook);
    static PluginInstance& self(cim_host_ctx_t* ctx) { return *reinterpret_cast<PluginInstance*>(ctx); }

    // The cim_host_t callbacks. None may throw into plugin code.
    static cim_rc_t host_publish(cim_host_ctx_t* ctx, const cim_event_t* event);
    static cim_rc_t host_schedule_timer(cim_host_ctx_t* ctx, std::uint64_t delay_ms, std::uint64_t token);
    static cim_rc_t host_cancel_timer(cim_host_ctx_t* ctx, std::uint64_t token);
    static void host_log(cim_host_ctx_t* ctx, cim_log_level_t level, cim_str_t message);
    static std::int64_t host_now_ms(cim_host_ctx_t* ctx);
    static cim_str_t host_last_error(cim_host_ctx_t* ctx);
    static cim_rc_t host_get_conversation(cim_host_ctx_t* ctx, cim_str_t id, cim_receive_json_fn receive, void* user);
    static cim_rc_t host_get_customer_journey(cim_host_ctx_t* ctx, cim_str_t id, cim_receive_json_fn receive,
                                              void* user);
    static cim_rc_t host_state_put(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t key, cim_str_t value);
    static cim_rc_t host_state_get(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t key, cim_receive_bytes_fn receive,
                                   void* user);
    static cim_rc_t host_state_delete(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t key);
    static cim_rc_t host_state_list(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t prefix,
                                    cim_receive_entry_fn receive, void* user);
    static cim_rc_t host_state_scopes(cim_host_ctx_t* ctx, cim_receive_bytes_fn receive, void* user);
    static cim_rc_t host_schedule_timer_at(cim_host_ctx_t* ctx, cim_str_t scope, std::int64_t deadline_ms,
                                           std::uint64_t token);
    static cim_rc_t host_get_conversation_state(cim_host_ctx_t* ctx, cim_str_t id, cim_receive_json_fn receive,
                                                void* user);
    static cim_rc_t host_publish_many(cim_host_ctx_t* ctx, const cim_event_t* events, std::size_t count,
                                      cim_rc_t* results);
    static cim_rc_t host_publish_async(cim_host_ctx_t* ctx, const cim_event_t* event, cim_publish_done_fn done,
                                       void* user);
    static cim_rc_t host_metric(cim_host_ctx_t* ctx, cim_metric_kind_t kind, cim_str_t name, cim_str_t labels_json,
                                double value, cim_str_t help);
    /// Waits until every publish_async completion of this instance has been called (abi.h: never after destroy).
    void wait_for_completions();

    // The state table, or throws StateError when this host keeps none.
    PluginState& state() const;

    std::shared_ptr<const PluginLibrary> library_;
    HostServices& host_;
    PersistentTimers persistent_timers_;
    cim_host_t host_table_{};
    cim_instance_t* instance_ = nullptr;
    bool started_ = false;
    // publish_async completions not yet called; destroy waits for none.
    std::mutex completions_mutex_;
    std::condition_variable completions_done_;
    std::size_t outstanding_completions_ = 0;
    PluginMetrics metrics_;
};

}  // namespace cim::core
