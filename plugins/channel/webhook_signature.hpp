// How a connector's webhook knows a request comes from this runtime and is fresh: an HMAC-SHA256, keyed with the
// connector's `webhook_secret`, over "<timestamp>.<body>", sent with the timestamp. The receiver recomputes it,
// compares in constant time and refuses a timestamp too far from its clock (a replayed request). README.md shows how.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cim::channel {

constexpr const char* timestamp_header = "X-CIM-Timestamp";  ///< seconds since the Unix epoch, decimal
constexpr const char* signature_header = "X-CIM-Signature";  ///< "v1=" + 64 lowercase hex digits

/// "v1=" + hex(HMAC-SHA256(key = secret, message = timestamp + "." + body)). Thread-safe.
std::string webhook_signature(std::string_view secret, std::int64_t timestamp_s, std::string_view body);

}  // namespace cim::channel
