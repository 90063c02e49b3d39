// What [metrics] listen serves (docs/operating.md): /metrics in the Prometheus text format, /healthz (the process
// answers) and /readyz (it should get traffic now). Rendered on the endpoint's own thread from the runtime's
// counters: a scrape reads atomics and takes each shard's lock once (conversations by state), never the bus's path.
#pragma once

#include <string>
#include <string_view>

#include "cim/runtime/runtime.hpp"
#include "metrics/http_endpoint.hpp"

namespace cim::runtime {

/// The /metrics page (text format 0.0.4). Takes the reload lock for the plugin list.
std::string render_metrics(Runtime::Impl& impl);
/// Why the runtime should not get traffic now (starting, restoring, a plugin not started, the store not writable,
/// stopping); empty when ready. Lock-free: a probe answers even while a reload or a stop holds the runtime.
std::string not_ready_reason(const Runtime::Impl& impl);
/// Answers a GET of `path`: /metrics, /healthz, /readyz; 404 otherwise.
core::EndpointReply answer_metrics_endpoint(Runtime::Impl& impl, std::string_view path);

}  // namespace cim::runtime
