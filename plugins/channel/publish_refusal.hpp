// What a connector is answered when the runtime did not accept its event, by the reason the host gave (the status
// names of cim::PublishResult, sdk/include/cim/host.hpp). Its own file so the mapping is tested without a runtime.
#pragma once

#include <cim/host.hpp>

#include "plugin_common/http_types.hpp"

namespace cim::channel {

/// 503 + Retry-After for what passes (busy; the store cannot write; stopping): the connector retries and nothing is
/// lost. 400 for an event the runtime's rules refuse (the message names the rule). 500 otherwise, with a generic
/// message: never the host's text when it may hold internals (file paths, SQL).
web::HttpResponse refused(const cim::PublishResult& result);

}  // namespace cim::channel
