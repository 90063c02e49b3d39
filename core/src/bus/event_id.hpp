// Ids the runtime stamps on events published without one.
#pragma once

#include <string>

namespace cim::core {

/// A random (version 4) UUID in its canonical text form. Thread-safe; no lock (a generator per thread).
std::string make_event_id();

}  // namespace cim::core
