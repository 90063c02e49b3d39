// Puts an embedder's in-process Handler on the bus as an Endpoint, with the same manifest rules as a plugin.
#pragma once

#include <memory>

#include "bus/endpoint.hpp"
#include "cim/runtime/handler.hpp"
#include "plugin/host_services.hpp"

namespace cim::runtime {

/// The runtime's end of a Handler: what Handler::publish/schedule/cancel reach.
class Handler::Link {
public:
    Link(core::HostServices& host, core::Endpoint& endpoint) : host_(host), endpoint_(endpoint) {}
    core::HostServices& host() const { return host_; }
    core::Endpoint& endpoint() const { return endpoint_; }

private:
    core::HostServices& host_;
    core::Endpoint& endpoint_;
};

}  // namespace cim::runtime

namespace cim::core {

/// Copies an SDK manifest into the core's form, checking the plugin name. Throws std::invalid_argument.
Manifest to_core_manifest(const cim::Manifest& manifest);

class HandlerEndpoint final : public Endpoint {
public:
    /// Reads the handler's manifest and links the handler to `host`. Throws std::invalid_argument for a bad manifest.
    HandlerEndpoint(std::shared_ptr<runtime::Handler> handler, HostServices& host);
    ~HandlerEndpoint() override;

    const Manifest& manifest() const override { return manifest_; }

private:
    DeliveryOutcome deliver_(const Event& event) override;
    DeliveryOutcome fire_timer_(std::uint64_t token) override;

    std::shared_ptr<runtime::Handler> handler_;
    Manifest manifest_;
    runtime::Handler::Link link_;
};

}  // namespace cim::core
