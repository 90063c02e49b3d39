#include "plugin/plugin_instance.hpp"

#include <optional>
#include <string_view>
#include <vector>

#include "state/plugin_state.hpp"

namespace cim::core {
namespace {

// Why the last host callback failed on this thread; what cim_host_t::last_error returns (abi.h).
thread_local std::string last_host_error;

cim_rc_t fail(cim_rc_t rc, std::string message) {
    last_host_error = std::move(message);
    return rc;
}

}  // namespace

PluginInstance::PluginInstance(std::shared_ptr<const PluginLibrary> library, HostServices& host,
                               const std::string& config_json)
    : library_(std::move(library)), host_(host) {
    host_table_.struct_size = sizeof(cim_host_t);
    host_table_.ctx = reinterpret_cast<cim_host_ctx_t*>(this);
    host_table_.publish = &host_publish;
    host_table_.schedule_timer = &host_schedule_timer;
    host_table_.cancel_timer = &host_cancel_timer;
    host_table_.log = &host_log;
    host_table_.now_ms = &host_now_ms;
    host_table_.last_error = &host_last_error;
    host_table_.get_conversation = &host_get_conversation;
    host_table_.get_customer_journey = &host_get_customer_journey;
    host_table_.state_put = &host_state_put;
    host_table_.state_get = &host_state_get;
    host_table_.state_delete = &host_state_delete;
    host_table_.state_list = &host_state_list;
    host_table_.state_scopes = &host_state_scopes;
    host_table_.schedule_timer_at = &host_schedule_timer_at;
    host_table_.get_conversation_state = &host_get_conversation_state;
    host_table_.publish_async = &host_publish_async;
    host_table_.publish_many = &host_publish_many;
    host_table_.metric = &host_metric;

    const cim_plugin_t& t = library_->table();
    const cim_rc_t rc = t.create(&host_table_, {config_json.data(), config_json.size()}, &instance_);
    if (rc != CIM_OK || instance_ == nullptr) {
        std::string why = rc == CIM_OK ? "create returned no instance" : "create failed";
        // abi.h: a failed create may hand back an instance only to explain itself, or explain through NULL.
        if (const char* e = t.last_error(instance_); e != nullptr && *e != '\0') why += std::string(": ") + e;
        if (instance_ != nullptr) {
            t.destroy(instance_);
            instance_ = nullptr;
        }
        throw PluginError("plugin '" + name() + "': " + why);
    }
}

PluginInstance::~PluginInstance() {
    wait_for_completions();
    if (instance_ != nullptr) library_->table().destroy(instance_);
}

void PluginInstance::wait_for_completions() {
    std::unique_lock lock(completions_mutex_);
    completions_done_.wait(lock, [&] { return outstanding_completions_ == 0; });
}

void PluginInstance::start() {
    const cim_plugin_t& t = library_->table();
    if (t.start != nullptr) {
        DeliveryOutcome outcome = outcome_of(t.start(instance_), "start");
        if (!outcome.ok) throw PluginError("plugin '" + name() + "': " + outcome.error);
    }
    started_ = true;
    // Only now: abi.h promises no on_timer before start returned, and a deadline that passed while the plugin was
    // down fires right away.
    if (PluginState* state = host_.plugin_state()) persistent_timers_.arm_all(*state, host_, *this);
}

DeliveryOutcome PluginInstance::stop() {
    if (!started_) return {};
    started_ = false;
    persistent_timers_.disarm_all(host_);  // kept in the state: the next start arms them again
    const cim_plugin_t& t = library_->table();
    return t.stop != nullptr ? outcome_of(t.stop(instance_), "stop") : DeliveryOutcome{};
}

DeliveryOutcome PluginInstance::deliver_(const Event& event) {
    const cim_event_t view = to_abi_view(event);
    // The state writes of one hook call are one unit, committed when it returns (abi.h, "Plugin state").
    std::optional<PluginState::HookUnit> unit;
    if (PluginState* state = host_.plugin_state()) unit.emplace(*state);
    return outcome_of(library_->table().on_event(instance_, &view), "on_event");
}

DeliveryOutcome PluginInstance::fire_timer_(std::uint64_t token) {
    const cim_plugin_t& t = library_->table();
    if (t.on_timer == nullptr) return {false, "on_timer: the plugin scheduled a timer but has no on_timer hook"};
    PluginState* state = host_.plugin_state();
    std::optional<PluginState::HookUnit> unit;
    if (state != nullptr) unit.emplace(*state);
    DeliveryOutcome outcome = outcome_of(t.on_timer(instance_, token), "on_timer");
    // A persistent timer is forgotten with the hook's own writes; a failed hook keeps it for the next start.
    if (outcome.ok && state != nullptr) {
        try {
            persistent_timers_.fired(*state, *this, token, host_.now_ms());
        } catch (const std::exception& e) {
            return {false, std::string("on_timer: forgetting the persistent timer failed: ") + e.what()};
        }
    }
    return outcome;
}

DeliveryOutcome PluginInstance::outcome_of(cim_rc_t rc, const char* hook) {
    if (rc == CIM_OK) return {};
    std::string why = std::string(hook) + " returned error code " + std::to_string(rc);
    if (const char* e = library_->table().last_error(instance_); e != nullptr && *e != '\0') why += ": " + std::string(e);
    return {false, std::move(why)};
}

cim_rc_t PluginInstance::host_publish(cim_host_ctx_t* ctx, const cim_event_t* event) {
    try {
        if (event == nullptr) return fail(CIM_INVALID, "publish: event is NULL");
        PluginInstance& plugin = self(ctx);
        PublishResult result = plugin.host_.publish(&plugin, from_abi(*event));
        if (result.accepted()) {
            last_host_error.clear();
            return CIM_OK;
        }
        return fail(to_rc(result.status), std::move(result.error));
    } catch (const std::exception& e) {
        return fail(CIM_ERROR, std::string("publish: ") + e.what());
    } catch (...) {
        return fail(CIM_ERROR, "publish: unknown error");
    }
}

cim_rc_t PluginInstance::host_publish_many(cim_host_ctx_t* ctx, const cim_event_t* events, std::size_t count,
                                           cim_rc_t* results) {
    try {
        if (count == 0) {
            last_host_error.clear();
            return CIM_OK;
        }
        if (events == nullptr || results == nullptr) return fail(CIM_INVALID, "publish_many: events or results is NULL");
        PluginInstance& plugin = self(ctx);
        std::vector<Event> batch;
        batch.reserve(count);
        for (std::size_t i = 0; i < count; ++i) batch.push_back(from_abi(events[i]));
        const auto answered = plugin.host_.publish_many(&plugin, std::move(batch));
        cim_rc_t first = CIM_OK;
        std::string why;
        for (std::size_t i = 0; i < count; ++i) {
            results[i] = to_rc(answered[i].status);
            if (first == CIM_OK && results[i] != CIM_OK) {
                first = results[i];
                why = "event " + std::to_string(i) + ": " + answered[i].error;
            }
        }
        if (first == CIM_OK) {
            last_host_error.clear();
            return CIM_OK;
        }
        return fail(first, std::move(why));
    } catch (const std::exception& e) {
        for (std::size_t i = 0; results != nullptr && i < count; ++i) results[i] = CIM_ERROR;
        return fail(CIM_ERROR, std::string("publish_many: ") + e.what());
    } catch (...) {
        for (std::size_t i = 0; results != nullptr && i < count; ++i) results[i] = CIM_ERROR;
        return fail(CIM_ERROR, "publish_many: unknown error");
    }
}

cim_rc_t PluginInstance::host_publish_async(cim_host_ctx_t* ctx, const cim_event_t* event, cim_publish_done_fn done,
                                            void* user) {
    if (event == nullptr) return fail(CIM_INVALID, "publish_async: event is NULL");
    if (done == nullptr) return fail(CIM_INVALID, "publish_async: done is NULL");
    PluginInstance& plugin = self(ctx);
    {
        std::lock_guard lock(plugin.completions_mutex_);
        ++plugin.outstanding_completions_;
    }
    // Exactly once, whatever happens below; the count drops only after the plugin's `done` returned.
    auto complete = [&plugin, done, user](cim_rc_t rc, std::string_view id, std::string_view error) noexcept {
        {
            // Writes the plugin makes in `done` form one unit, not waited for: on the store's writer thread (the
            // usual case) a wait would be for the commit only this thread can make; they go with the next one.
            std::optional<PluginState::HookUnit> unit;
            if (PluginState* state = plugin.host_.plugin_state(); state != nullptr) unit.emplace(*state, false);
            done(user, rc, {id.data(), id.size()}, {error.data(), error.size()});
        }
        std::lock_guard lock(plugin.completions_mutex_);
        if (--plugin.outstanding_completions_ == 0) plugin.completions_done_.notify_all();
    };
    try {
        plugin.host_.publish_async(&plugin, from_abi(*event), [complete](PublishResult result) {
            complete(to_rc(result.status), result.accepted() ? std::string_view(result.event_id) : std::string_view(),
                     result.error);
        });
    } catch (const std::exception& e) {
        complete(CIM_ERROR, {}, std::string("publish_async: ") + e.what());
    } catch (...) {
        complete(CIM_ERROR, {}, "publish_async: unknown error");
    }
    last_host_error.clear();
    return CIM_OK;
}

cim_rc_t PluginInstance::host_schedule_timer(cim_host_ctx_t* ctx, std::uint64_t delay_ms, std::uint64_t token) {
    try {
        PluginInstance& plugin = self(ctx);
        if (!plugin.host_.schedule_timer(plugin, delay_ms, token)) {
            return fail(CIM_STOPPED, "schedule_timer: the runtime is stopping");
        }
        last_host_error.clear();
        return CIM_OK;
    } catch (const std::exception& e) {
        return fail(CIM_ERROR, std::string("schedule_timer: ") + e.what());
    } catch (...) {
        return fail(CIM_ERROR, "schedule_timer: unknown error");
    }
}

cim_rc_t PluginInstance::host_cancel_timer(cim_host_ctx_t* ctx, std::uint64_t token) {
    try {
        PluginInstance& plugin = self(ctx);
        plugin.host_.cancel_timer(plugin, token);
        if (PluginState* state = plugin.host_.plugin_state()) {
            plugin.persistent_timers_.cancel(*state, plugin.host_, plugin, token);
        }
        last_host_error.clear();
        return CIM_OK;
    } catch (const std::exception& e) {
        return fail(CIM_ERROR, std::string("cancel_timer: ") + e.what());
    } catch (...) {
        return fail(CIM_ERROR, "cancel_timer: unknown error");
    }
}

void PluginInstance::host_log(cim_host_ctx_t* ctx, cim_log_level_t level, cim_str_t message) {
    try {
        PluginInstance& plugin = self(ctx);
        plugin.host_.log(plugin, level, std::string_view(message.data == nullptr ? "" : message.data, message.size));
    } catch (...) {
        // Logging must never fail a plugin; a line lost here is the lesser evil.
    }
}

std::int64_t PluginInstance::host_now_ms(cim_host_ctx_t* ctx) { return self(ctx).host_.now_ms(); }

cim_rc_t PluginInstance::host_metric(cim_host_ctx_t* ctx, cim_metric_kind_t kind, cim_str_t name,
                                     cim_str_t labels_json, double value, cim_str_t help) {
    try {
        const auto view = [](cim_str_t s) { return std::string_view(s.data == nullptr ? "" : s.data, s.size); };
        std::string why = self(ctx).metrics_.update(kind, view(name), view(labels_json), value, view(help));
        if (!why.empty()) return fail(CIM_INVALID, "metric: " + why);
        return CIM_OK;
    } catch (const std::exception& e) {
        return fail(CIM_ERROR, std::string("metric: ") + e.what());
    }
}

namespace {

// Runs one query callback: the document is serialised once and lent to the plugin for the duration of `receive`.
template <class Query>
cim_rc_t answer_query(const char* what, cim_str_t id, cim_receive_json_fn receive, void* user, Query query) {
    try {
        if (receive == nullptr) return fail(CIM_INVALID, std::string(what) + ": receive is NULL");
        const nlohmann::json document = query(std::string_view(id.data == nullptr ? "" : id.data, id.size));
        if (document.is_null()) return fail(CIM_INVALID, std::string(what) + ": unknown id");
        const std::string text = document.dump();
        last_host_error.clear();
        receive(user, {text.data(), text.size()});
        return CIM_OK;
    } catch (const std::exception& e) {
        return fail(CIM_ERROR, std::string(what) + ": " + e.what());
    } catch (...) {
        return fail(CIM_ERROR, std::string(what) + ": unknown error");
    }
}

}  // namespace

cim_rc_t PluginInstance::host_get_conversation(cim_host_ctx_t* ctx, cim_str_t id, cim_receive_json_fn receive,
                                               void* user) {
    return answer_query("get_conversation", id, receive, user,
                        [&](std::string_view conversation) { return self(ctx).host_.conversation(conversation); });
}

cim_rc_t PluginInstance::host_get_customer_journey(cim_host_ctx_t* ctx, cim_str_t id, cim_receive_json_fn receive,
                                                   void* user) {
    return answer_query("get_customer_journey", id, receive, user,
                        [&](std::string_view customer) { return self(ctx).host_.customer_journey(customer); });
}

PluginState& PluginInstance::state() const {
    PluginState* state = host_.plugin_state();
    if (state == nullptr) throw StateError(CIM_ERROR, "this runtime keeps no plugin state");
    return *state;
}

namespace {

std::string_view view_of(cim_str_t text) { return {text.data == nullptr ? "" : text.data, text.size}; }

// Runs one state callback: a StateError answers its own code, anything else CIM_ERROR; nothing unwinds into C.
template <class Call>
cim_rc_t answer_state(const char* what, Call call) {
    try {
        const cim_rc_t rc = call();
        if (rc == CIM_OK) last_host_error.clear();
        return rc;
    } catch (const StateError& e) {
        return fail(e.code, std::string(what) + ": " + e.what());
    } catch (const std::exception& e) {
        return fail(CIM_ERROR, std::string(what) + ": " + e.what());
    } catch (...) {
        return fail(CIM_ERROR, std::string(what) + ": unknown error");
    }
}

}  // namespace

cim_rc_t PluginInstance::host_state_put(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t key, cim_str_t value) {
    return answer_state("state_put", [&] {
        PluginInstance& plugin = self(ctx);
        plugin.state().put(plugin.name(), view_of(scope), view_of(key), view_of(value));
        return CIM_OK;
    });
}

cim_rc_t PluginInstance::host_state_get(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t key,
                                        cim_receive_bytes_fn receive, void* user) {
    return answer_state("state_get", [&]() -> cim_rc_t {
        if (receive == nullptr) return fail(CIM_INVALID, "state_get: receive is NULL");
        PluginInstance& plugin = self(ctx);
        const auto value = plugin.state().get(plugin.name(), view_of(scope), view_of(key));
        if (!value) return fail(CIM_NOT_FOUND, "state_get: no entry '" + std::string(view_of(key)) + "'");
        last_host_error.clear();
        receive(user, {value->data(), value->size()});
        return CIM_OK;
    });
}

cim_rc_t PluginInstance::host_state_delete(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t key) {
    return answer_state("state_delete", [&] {
        PluginInstance& plugin = self(ctx);
        plugin.state().erase(plugin.name(), view_of(scope), view_of(key));
        return CIM_OK;
    });
}

cim_rc_t PluginInstance::host_state_list(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t prefix,
                                         cim_receive_entry_fn receive, void* user) {
    return answer_state("state_list", [&]() -> cim_rc_t {
        if (receive == nullptr) return fail(CIM_INVALID, "state_list: receive is NULL");
        PluginInstance& plugin = self(ctx);
        // Copied out first: `receive` runs without the partition's lock, so a plugin that writes from it cannot
        // deadlock (abi.h still asks it not to).
        std::vector<std::pair<std::string, std::string>> entries;
        plugin.state().list(plugin.name(), view_of(scope), view_of(prefix),
                            [&](std::string_view k, std::string_view v) { entries.emplace_back(k, v); });
        last_host_error.clear();
        for (const auto& [k, v] : entries) receive(user, {k.data(), k.size()}, {v.data(), v.size()});
        return CIM_OK;
    });
}

cim_rc_t PluginInstance::host_state_scopes(cim_host_ctx_t* ctx, cim_receive_bytes_fn receive, void* user) {
    return answer_state("state_scopes", [&]() -> cim_rc_t {
        if (receive == nullptr) return fail(CIM_INVALID, "state_scopes: receive is NULL");
        PluginInstance& plugin = self(ctx);
        const std::vector<std::string> scopes = plugin.state().scopes(plugin.name());
        last_host_error.clear();
        for (const std::string& scope : scopes) receive(user, {scope.data(), scope.size()});
        return CIM_OK;
    });
}

cim_rc_t PluginInstance::host_schedule_timer_at(cim_host_ctx_t* ctx, cim_str_t scope, std::int64_t deadline_ms,
                                                std::uint64_t token) {
    return answer_state("schedule_timer_at", [&]() -> cim_rc_t {
        PluginInstance& plugin = self(ctx);
        if (!plugin.persistent_timers_.schedule(plugin.state(), plugin.host_, plugin, view_of(scope), deadline_ms,
                                                token)) {
            return fail(CIM_STOPPED, "schedule_timer_at: the runtime is stopping (the timer is kept for the next "
                                     "start)");
        }
        return CIM_OK;
    });
}

cim_rc_t PluginInstance::host_get_conversation_state(cim_host_ctx_t* ctx, cim_str_t id, cim_receive_json_fn receive,
                                                     void* user) {
    return answer_query("get_conversation_state", id, receive, user, [&](std::string_view conversation) {
        return self(ctx).host_.conversation_state(conversation);
    });
}

cim_str_t PluginInstance::host_last_error(cim_host_ctx_t*) {
    return {last_host_error.data(), last_host_error.size()};
}

}  // namespace cim::core
