// A loopback port nobody listens on, for the servers a benchmark starts (nats-server, the channel plugin).
#pragma once

namespace cim::bench {

/// Binds 127.0.0.1:0, reads the port the kernel chose, and releases it.
int free_port();

}  // namespace cim::bench
