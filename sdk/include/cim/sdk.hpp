// cim/sdk.hpp — the cimrt plugin SDK: include this one header to write a plugin.
//
//     #include <cim/sdk.hpp>
//
//     class Echo : public cim::Plugin { ... };   // see cim/plugin.hpp
//     CIM_PLUGIN(Echo);                          // see cim/plugin_export.hpp
//
// Underneath is the C ABI (cim/abi.h), the only contract with the runtime; nothing of this C++ layer crosses it.
#pragma once

#include "cim/abi.h"
#include "cim/version.h"

#include "cim/duration.hpp"
#include "cim/error.hpp"
#include "cim/event.hpp"
#include "cim/host.hpp"
#include "cim/logger.hpp"
#include "cim/manifest.hpp"
#include "cim/outgoing_event.hpp"
#include "cim/plugin.hpp"
#include "cim/plugin_export.hpp"
