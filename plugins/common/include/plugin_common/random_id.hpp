// Unpredictable identifiers: session tokens a browser keeps, conversation and event ids a plugin assigns.
#pragma once

#include <string>

namespace cim::common {

/// 128 random bits from the OS (std::random_device, /dev/urandom on Linux) as 32 lowercase hex digits. Thread-safe.
std::string random_hex_128();

/// A random UUID (version 4) in its canonical 8-4-4-4-12 form. Thread-safe.
std::string random_uuid();

}  // namespace cim::common
