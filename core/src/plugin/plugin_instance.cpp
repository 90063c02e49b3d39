#include "plugin/plugin_instance.hpp"

#include <string_view>

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
    if (instance_ != nullptr) library_->table().destroy(instance_);
}

void PluginInstance::start() {
    const cim_plugin_t& t = library_->table();
    if (t.start != nullptr) {
        DeliveryOutcome outcome = outcome_of(t.start(instance_), "start");
        if (!outcome.ok) throw PluginError("plugin '" + name() + "': " + outcome.error);
    }
    started_ = true;
}

DeliveryOutcome PluginInstance::stop() {
    if (!started_) return {};
    started_ = false;
    const cim_plugin_t& t = library_->table();
    return t.stop != nullptr ? outcome_of(t.stop(instance_), "stop") : DeliveryOutcome{};
}

DeliveryOutcome PluginInstance::deliver(const Event& event) {
    const cim_event_t view = to_abi_view(event);
    return outcome_of(library_->table().on_event(instance_, &view), "on_event");
}

DeliveryOutcome PluginInstance::fire_timer(std::uint64_t token) {
    const cim_plugin_t& t = library_->table();
    if (t.on_timer == nullptr) return {false, "on_timer: the plugin scheduled a timer but has no on_timer hook"};
    return outcome_of(t.on_timer(instance_, token), "on_timer");
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

cim_str_t PluginInstance::host_last_error(cim_host_ctx_t*) {
    return {last_host_error.data(), last_host_error.size()};
}

}  // namespace cim::core
