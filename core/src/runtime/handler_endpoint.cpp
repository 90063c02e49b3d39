#include "runtime/handler_endpoint.hpp"

#include <stdexcept>

#include "cim/event.hpp"

namespace cim::runtime {

PublishResult Handler::publish(const cim::OutgoingEvent& event) {
    if (link_ == nullptr) return {PublishStatus::stopped, "the handler is not registered with a runtime", {}};
    const cim_event_t view = event.abi();
    return link_->host().publish(&link_->endpoint(), core::from_abi(view));
}

bool Handler::schedule(std::chrono::milliseconds delay, std::uint64_t token) {
    if (link_ == nullptr) return false;
    return link_->host().schedule_timer(link_->endpoint(), static_cast<std::uint64_t>(delay.count()), token);
}

void Handler::cancel(std::uint64_t token) {
    if (link_ != nullptr) link_->host().cancel_timer(link_->endpoint(), token);
}

}  // namespace cim::runtime

namespace cim::core {

Manifest to_core_manifest(const cim::Manifest& m) {
    Manifest out;
    out.name = m.name;
    check_plugin_name(out.name);
    out.version = m.version;
    out.description = m.description;
    out.publishes = m.publishes;
    out.consumes = m.consumes;
    for (const auto& custom : m.custom_events) {
        out.custom_events.push_back({custom.name, static_cast<EventType>(custom.type), custom.description});
    }
    if (!m.config_schema.is_null()) out.config_schema_json = m.config_schema.dump();
    return out;
}

HandlerEndpoint::HandlerEndpoint(std::shared_ptr<runtime::Handler> handler, HostServices& host)
    : handler_(std::move(handler)), manifest_(to_core_manifest(handler_->manifest())), link_(host, *this) {
    if (handler_->link_ != nullptr) {
        throw std::invalid_argument("handler '" + manifest_.name + "' is already registered with a runtime");
    }
    handler_->link_ = &link_;
}

HandlerEndpoint::~HandlerEndpoint() { handler_->link_ = nullptr; }

// A handler's exception becomes a failed outcome in Endpoint::deliver / fire_timer, which call these.
DeliveryOutcome HandlerEndpoint::deliver_(const Event& event) {
    const cim_event_t view = to_abi_view(event);
    handler_->on_event(cim::Event(view));
    return {};
}

DeliveryOutcome HandlerEndpoint::fire_timer_(std::uint64_t token) {
    handler_->on_timer(token);
    return {};
}

}  // namespace cim::core
