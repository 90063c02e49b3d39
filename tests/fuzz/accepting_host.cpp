#include "accepting_host.hpp"

#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_check.hpp"

namespace cim::fuzz {
namespace {

cim_rc_t ok_timer(cim_host_ctx_t*, uint64_t, uint64_t) { return CIM_OK; }
cim_rc_t ok_cancel(cim_host_ctx_t*, uint64_t) { return CIM_OK; }
void no_log(cim_host_ctx_t*, cim_log_level_t, cim_str_t) {}
int64_t epoch(cim_host_ctx_t*) { return 0; }
cim_str_t no_error(cim_host_ctx_t*) { return {"", 0}; }
cim_rc_t no_conversation(cim_host_ctx_t*, cim_str_t, cim_receive_json_fn, void*) { return CIM_INVALID; }
cim_rc_t empty_journey(cim_host_ctx_t*, cim_str_t, cim_receive_json_fn receive, void* user) {
    constexpr std::string_view journey = R"({"customerId":"","activities":[]})";
    receive(user, {journey.data(), journey.size()});
    return CIM_OK;
}

}  // namespace

AcceptingHost::AcceptingHost() {
    table_.struct_size = sizeof(cim_host_t);
    table_.ctx = reinterpret_cast<cim_host_ctx_t*>(this);
    table_.publish = &AcceptingHost::publish;
    table_.schedule_timer = ok_timer;
    table_.cancel_timer = ok_cancel;
    table_.log = no_log;
    table_.now_ms = epoch;
    table_.last_error = no_error;
    table_.get_conversation = no_conversation;
    table_.get_customer_journey = empty_journey;
}

cim_rc_t AcceptingHost::publish(cim_host_ctx_t* ctx, const cim_event_t* event) {
    auto* self = reinterpret_cast<AcceptingHost*>(ctx);
    check(event->name.size > 0, "a published event has a name");
    const std::string_view data(event->data_json.data, event->data_json.size);
    check(data.empty() || nlohmann::json::accept(data), "a published event's data is JSON");
    ++self->published_;
    return CIM_OK;
}

}  // namespace cim::fuzz
